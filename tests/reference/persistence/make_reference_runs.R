# Reference for the churn hazard on complete runs (tests/test_persistence_r.py):
#   cd tests/reference/persistence && Rscript make_reference_runs.R      (writes runs.json)
# R 4.2.2 with jsonlite. Input: churn_panel.csv (make_data.py; 8 % of the scores missing).
# A run of dissatisfied years (overall_sat <= 6) is "complete" when its length is known: the year
# before its first year is a scored row of the customer, or precedes the customer's first row
# (scored or not). Rows whose run is incomplete and shorter than 4 are left out of the fit (their
# true run may be longer); runs of 4 or more are in the 4+ category whatever came before.
suppressPackageStartupMessages(library(jsonlite))
cp <- read.csv("churn_panel.csv")
cp <- cp[order(cp$customer_id, cp$year), ]
first <- tapply(cp$year, cp$customer_id, min)
key <- paste(cp$customer_id, cp$year)
scored <- setNames(!is.na(cp$overall_sat), key)
run <- rep(NA_integer_, nrow(cp)); complete <- rep(NA, nrow(cp))
for (i in seq_len(nrow(cp))) {
  s <- cp$overall_sat[i]
  if (is.na(s)) next
  if (s > 6) { run[i] <- 0L; complete[i] <- TRUE; next }
  # walk back over consecutive scored dissatisfied years of the same customer
  k <- 1L
  repeat {
    kb <- paste(cp$customer_id[i], cp$year[i] - k)
    if (!isTRUE(scored[kb])) break
    j <- which(key == kb)
    if (cp$overall_sat[j] > 6) break
    k <- k + 1L
  }
  run[i] <- k
  before <- cp$year[i] - k
  complete[i] <- isTRUE(scored[paste(cp$customer_id[i], before)]) ||
    before < first[[as.character(cp$customer_id[i])]]
}
h <- cp[!is.na(cp$overall_sat), ]
h$run <- run[!is.na(cp$overall_sat)]
h$complete <- complete[!is.na(cp$overall_sat)]
keep <- h$complete | h$run >= 4
hk <- h[keep, ]
hk$runcat <- factor(pmin(hk$run, 4), levels = 0:4)
hz <- glm(churned ~ runcat + overall_sat + contacts, family = binomial, data = hk)
out <- list(hazard_complete = list(
  r_call = paste("glm(churned ~ factor(pmin(run, 4)) + overall_sat + contacts, family = binomial)",
                 "on the rows whose run is complete or >= 4 (R loop above)"),
  term = names(coef(hz)), estimate = unname(coef(hz)), se = unname(sqrt(diag(vcov(hz)))),
  n = nrow(hk), n_incomplete = sum(!keep), n_scored = nrow(h),
  run_counts = as.vector(table(hk$runcat)),
  events = as.vector(tapply(hk$churned, hk$runcat, sum)),
  complete = as.vector(h$complete), run = as.vector(h$run),
  R_version = R.version.string))
write(toJSON(out, auto_unbox = TRUE, digits = NA, pretty = TRUE), "runs.json")
