# Reference values for tests/test_persistence_r.py and tests/test_loyalty_r.py.
#   cd tests/reference/persistence && Rscript make_reference.R      (writes reference.json)
# R 4.x with plm, sandwich, survival, jsonlite (Debian: r-cran-plm r-cran-sandwich r-cran-jsonlite).
suppressPackageStartupMessages({library(plm); library(sandwich); library(survival); library(jsonlite)})
out <- list()

## 1. Distributed lag on Grunfeld: within (firm effects), two-way, pooled with year effects ---------
g <- read.csv("grunfeld.csv")
g <- g[order(g$firm, g$year), ]
g$value_l1 <- ave(g$value, g$firm, FUN = function(v) c(NA, head(v, -1)))
g$value_l2 <- ave(g$value, g$firm, FUN = function(v) c(NA, NA, head(v, -2)))
gc <- g[complete.cases(g), ]
pg <- pdata.frame(g, index = c("firm", "year"))
fe <- plm(inv ~ value + lag(value, 1) + lag(value, 2) + capital, data = pg, model = "within")
tw <- plm(inv ~ value + lag(value, 1) + lag(value, 2) + capital, data = pg, model = "within",
          effect = "twoways")
# cluster-robust SEs of the within estimator, Stata xtreg-fe convention: lm on firm-demeaned data
dm <- function(v) v - ave(v, gc$firm)
d <- data.frame(firm = gc$firm, inv = dm(gc$inv), value = dm(gc$value), value_l1 = dm(gc$value_l1),
                value_l2 = dm(gc$value_l2), capital = dm(gc$capital))
fe_lm <- lm(inv ~ 0 + value + value_l1 + value_l2 + capital, data = d)
pooled_year <- lm(inv ~ value + value_l1 + value_l2 + capital + factor(year), data = gc)
out$grunfeld_within <- list(
  r_call = "plm(inv ~ value + lag(value,1) + lag(value,2) + capital, model='within'); SEs: sandwich::vcovCL(lm(firm-demeaned inv ~ 0 + demeaned regressors), cluster=~firm, type='HC1')",
  estimate = unname(coef(fe)), estimate_lm = unname(coef(fe_lm)),
  se = unname(sqrt(diag(vcovCL(fe_lm, cluster = ~firm, type = "HC1")))))
out$grunfeld_twoways <- list(
  r_call = "plm(inv ~ value + lag(value,1) + lag(value,2) + capital, model='within', effect='twoways')",
  estimate = unname(coef(tw)))
out$grunfeld_pooled_year <- list(
  r_call = "lm(inv ~ value + value_l1 + value_l2 + capital + factor(year)); sandwich::vcovCL(fit, cluster=~firm)",
  estimate = unname(coef(pooled_year)[2:5]),
  se = unname(sqrt(diag(vcovCL(pooled_year, cluster = ~firm)))[2:5]))

## 2. Dissatisfaction runs, discrete-time hazard, Kaplan-Meier -------------------------------------
cp <- read.csv("churn_panel.csv")
cp <- cp[order(cp$customer_id, cp$year), ]
run <- integer(nrow(cp)); r <- 0L
for (i in seq_len(nrow(cp))) {
  new_id <- i == 1 || cp$customer_id[i] != cp$customer_id[i - 1] || cp$year[i] != cp$year[i - 1] + 1
  prev <- if (new_id) 0L else r
  if (is.na(cp$overall_sat[i])) { r <- 0L; run[i] <- NA } else if (cp$overall_sat[i] <= 6) {
    r <- if (!new_id && !is.na(run[i - 1])) prev + 1L else 1L; run[i] <- r } else { r <- 0L; run[i] <- 0L }
}
cp$run <- run
h <- cp[!is.na(cp$overall_sat), ]
h$runcat <- factor(pmin(h$run, 4), levels = 0:4)
hz <- glm(churned ~ runcat + overall_sat + contacts, family = binomial, data = h)
out$hazard <- list(
  r_call = "glm(churned ~ factor(pmin(run, 4)) + overall_sat + contacts, family = binomial); run = consecutive years with overall_sat <= 6, broken by a missing score",
  term = names(coef(hz)), estimate = unname(coef(hz)), se = unname(sqrt(diag(vcov(hz)))),
  n = nrow(h), run_counts = as.vector(table(h$runcat)), run_sum = sum(h$run))
base <- do.call(rbind, lapply(split(cp, cp$customer_id), function(x) {
  s <- x[!is.na(x$overall_sat), ]
  if (nrow(s) == 0) return(NULL)
  t0 <- min(s$year); s0 <- s$overall_sat[s$year == t0]
  data.frame(t0 = t0, s0 = s0, duration = max(x$year) - t0 + 1, event = any(x$churned == 1))
}))
base$band <- cut(base$s0, c(-Inf, 5, 7, Inf), labels = c("0-5", "6-7", "8-10"))
km <- survfit(Surv(duration, event) ~ band, data = base)
sk <- summary(km, times = 1:10, extend = TRUE)
lr <- survdiff(Surv(duration, event) ~ band, data = base)
out$km <- list(
  r_call = "survfit(Surv(duration, event) ~ band); summary(km, times = 1:10, extend = TRUE); survdiff(...)",
  band = as.character(sub("band=", "", sk$strata)), time = sk$time, surv = sk$surv,
  n = as.vector(table(base$band)), logrank_chisq = unname(lr$chisq))

## 3. Transfer penalty: Poisson QMLE with cluster-robust SEs -----------------------------------------
tp <- read.csv("transfer_panel.csv")
f1 <- glm(repurchase ~ transfers + d1 + d2, family = quasipoisson, data = tp)
f2 <- glm(as.numeric(recommend >= 9) ~ transfers + d1 + d2, family = quasipoisson, data = tp)
out$transfer <- list(
  r_call = "glm(y ~ transfers + d1 + d2, family = quasipoisson); sandwich::vcovCL(fit, cluster=~customer_id, type='HC1'); y = repurchase, then recommend >= 9",
  loyalty_b = unname(coef(f1)["transfers"]),
  loyalty_se = unname(sqrt(diag(vcovCL(f1, cluster = ~customer_id, type = "HC1")))["transfers"]),
  promoter_b = unname(coef(f2)["transfers"]),
  promoter_se = unname(sqrt(diag(vcovCL(f2, cluster = ~customer_id, type = "HC1")))["transfers"]))

write(toJSON(out, auto_unbox = TRUE, digits = NA, pretty = TRUE), "reference.json")
cat("wrote reference.json\n")
