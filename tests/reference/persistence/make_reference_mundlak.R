# Reference values for the issue-14 persistence defaults (tests/test_persistence_r.py):
#   cd tests/reference/persistence && Rscript make_reference_mundlak.R      (writes mundlak.json)
# R 4.x with plm, sandwich, jsonlite (Debian: r-cran-plm r-cran-sandwich r-cran-jsonlite).
# Input: trait_panel.csv (make_data.py: trait_panel), customers x years with gaps; lags are by
# calendar year (a missing year is a missing lag), built here by merging on (customer, year - k).
suppressPackageStartupMessages({library(plm); library(sandwich); library(jsonlite)})
d <- read.csv("trait_panel.csv")
K <- 2
key <- paste(d$customer_id, d$year)
for (k in 0:K) d[[paste0("sat_l", k)]] <- d$sat[match(paste(d$customer_id, d$year - k), key)]
lagv <- paste0("sat_l", 0:K)
cc <- d[complete.cases(d[, c("loyalty", lagv, "contacts")]), ]
cc <- cc[order(cc$customer_id, cc$year), ]
G <- length(unique(cc$customer_id))
out <- list()

## 1. within (customer fixed effects) with year effects; plm + vcovHC(method = "arellano")
pc <- pdata.frame(cc, index = c("customer_id", "year"))
fml <- loyalty ~ sat_l0 + sat_l1 + sat_l2 + contacts + factor(year)
fe <- plm(fml, data = pc, model = "within")
V_sss <- vcovHC(fe, method = "arellano", type = "sss", cluster = "group")
V_hc0 <- vcovHC(fe, method = "arellano", type = "HC0", cluster = "group")
out$within <- list(
  r_call = paste("plm(loyalty ~ sat_l0 + sat_l1 + sat_l2 + contacts + factor(year), model='within');",
                 "vcovHC(fe, method='arellano', type='sss'|'HC0', cluster='group'); lags by calendar year"),
  terms = names(coef(fe))[1:4], estimate = unname(coef(fe)[1:4]),
  se_sss = unname(sqrt(diag(V_sss))[1:4]), se_hc0 = unname(sqrt(diag(V_hc0))[1:4]),
  n_obs = nrow(cc), n_customers = G, n_coef = length(coef(fe)))

## 2. Mundlak (correlated random effects): pooled lm + customer means, cluster-robust Wald test
yrs <- sort(unique(cc$year))
for (y in yrs[-1]) cc[[paste0("yr", y)]] <- as.numeric(cc$year == y)
mv <- c(lagv, "contacts", paste0("yr", yrs[-1]))
for (v in mv) cc[[paste0("m_", v)]] <- ave(cc[[v]], cc$customer_id)
fml_m <- as.formula(paste("loyalty ~", paste(c(lagv, "contacts", paste0("yr", yrs[-1]),
                                               paste0("m_", mv)), collapse = " + ")))
cre <- lm(fml_m, data = cc)
stopifnot(!any(is.na(coef(cre))))
Vc <- vcovCL(cre, cluster = ~customer_id, type = "HC1")
tested <- paste0("m_", c(lagv, "contacts"))
b <- coef(cre)[tested]
W <- as.numeric(t(b) %*% solve(Vc[tested, tested], b))
q <- length(tested)
out$mundlak <- list(
  r_call = paste("lm(loyalty ~ lags + contacts + year dummies + customer means of all of them);",
                 "V <- sandwich::vcovCL(fit, cluster=~customer_id, type='HC1');",
                 "W <- b' V^-1 b over the means of the lags and contacts; p <- pf(W/q, q, G-1, lower=FALSE)"),
  lag_estimate = unname(coef(cre)[lagv]), mean_estimate = unname(b),
  mean_se = unname(sqrt(diag(Vc))[tested]), statistic = W, df = q, df_denom = G - 1,
  p_value = pf(W / q, q, G - 1, lower.tail = FALSE),
  p_chisq = pchisq(W, q, lower.tail = FALSE))

## 3. strict-exogeneity (feedback) check: the lead sat_{t+1} in the within regression
cc2 <- d
cc2$sat_lead1 <- d$sat[match(paste(d$customer_id, d$year + 1), key)]
cc2 <- cc2[complete.cases(cc2[, c("loyalty", lagv, "contacts", "sat_lead1")]), ]
pc2 <- pdata.frame(cc2, index = c("customer_id", "year"))
fe2 <- plm(loyalty ~ sat_l0 + sat_l1 + sat_l2 + contacts + sat_lead1 + factor(year), data = pc2,
           model = "within")
V2 <- vcovHC(fe2, method = "arellano", type = "sss", cluster = "group")
out$feedback <- list(
  r_call = "plm(loyalty ~ sat_l0 + sat_l1 + sat_l2 + contacts + sat_lead1 + factor(year), model='within'); vcovHC(arellano, sss)",
  estimate = unname(coef(fe2)["sat_lead1"]), se_sss = unname(sqrt(V2["sat_lead1", "sat_lead1"])),
  n_obs = nrow(cc2), n_customers = length(unique(cc2$customer_id)))
out$r_version <- R.version.string
out$plm_version <- as.character(packageVersion("plm"))
out$sandwich_version <- as.character(packageVersion("sandwich"))
write(toJSON(out, auto_unbox = TRUE, digits = NA, pretty = TRUE), "mundlak.json")
