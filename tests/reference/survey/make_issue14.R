# Reference values for the issue-14 survey defaults (tests/test_survey_issue14.py).
# Run from tests/reference/survey: Rscript make_issue14.R   (R 4.2.2, survey 4.1-1; writes issue14.json)
suppressPackageStartupMessages({library(survey); library(jsonlite)})
out <- list()

## 1. wave-on-wave changes clustered on the customer id (weights only: the report's design)
p <- read.csv("panel_waves.csv")
p$nps_x <- 100 * ((p$recommend >= 9) - (p$recommend <= 6))
for (ids in c("customer", "1")) {
  d <- svydesign(ids = as.formula(paste0("~", ids)), weights = ~weight, data = p)
  bw <- svyby(~sat, ~wave, subset(d, !is.na(sat)), svymean, covmat = TRUE)
  c1 <- svycontrast(bw, c(-1, 1, 0)); c2 <- svycontrast(bw, c(0, -1, 1))
  tt <- svyttest(sat ~ factor(wave), subset(d, wave %in% c(2024, 2025)))
  bn <- svyby(~nps_x, ~wave, d, svymean, covmat = TRUE)
  cn <- svycontrast(bn, c(-1, 0, 1))
  out[[paste0("panel_ids_", ids)]] <- list(
    design = sprintf("svydesign(ids=~%s, weights=~weight, data=panel_waves)", ids),
    r_call = paste("svyby(~sat, ~wave, subset(d, !is.na(sat)), svymean, covmat=TRUE); svycontrast c(-1,1,0), c(0,-1,1);",
                   "svyttest(sat ~ factor(wave), subset(d, wave %in% c(2024, 2025)));",
                   "svycontrast(svyby(~nps, ~wave, d, svymean, covmat=TRUE), c(-1,0,1))"),
    wave = bw$wave, estimate = unname(coef(bw)), se = unname(SE(bw)),
    change = c(unname(coef(c1)), unname(coef(c2))), change_se = c(unname(SE(c1)), unname(SE(c2))),
    ttest_2025_vs_2024 = list(statistic = unname(tt$statistic), df = unname(tt$parameter),
                              p_value = unname(tt$p.value), estimate = unname(tt$estimate)),
    nps_change_2025_vs_2023 = list(estimate = unname(coef(cn)), se = unname(SE(cn))))
}

## 1b. the same t test under the stratified, customer-clustered design of survey_extra.json
dpx <- svydesign(ids = ~customer, strata = ~region, weights = ~weight, data = p)
ttx <- svyttest(sat ~ factor(wave), subset(dpx, wave %in% c(2024, 2025)))
out$panel_strat_ttest_2025_vs_2024 <- list(
  design = "svydesign(ids=~customer, strata=~region, weights=~weight, data=panel_waves)",
  r_call = "svyttest(sat ~ factor(wave), subset(d, wave %in% c(2024, 2025)))",
  statistic = unname(ttx$statistic), df = unname(ttx$parameter), p_value = unname(ttx$p.value),
  degf_full = degf(dpx))

## 2. svyttest between two levels of a three-level segment: df of the subset (degf(subset) - 1)
a <- read.csv("apistrat.csv")
ds <- svydesign(ids = ~1, strata = ~stype, weights = ~pw, data = a)
c1 <- read.csv("apiclus1.csv")
dc <- svydesign(ids = ~dnum, weights = ~pw, data = c1)
for (nm in c("strat", "clus1")) {
  d <- if (nm == "strat") ds else dc
  res <- list()
  for (pr in list(c("E", "H"), c("E", "M"), c("H", "M"))) {
    sub <- subset(d, stype %in% pr)
    sub <- update(sub, grp = as.numeric(stype == pr[2]))
    tt <- svyttest(api00 ~ grp, sub)
    res[[paste(pr, collapse = "_")]] <- list(
      a = pr[1], b = pr[2], statistic = unname(tt$statistic), df = unname(tt$parameter),
      p_value = unname(tt$p.value), estimate = unname(tt$estimate), degf_subset = degf(sub),
      degf_full = degf(d))
  }
  out[[paste0("ttest_", nm)]] <- list(
    design = if (nm == "strat") "svydesign(ids=~1, strata=~stype, weights=~pw, data=apistrat)"
             else "svydesign(ids=~dnum, weights=~pw, data=apiclus1)",
    r_call = "sub <- update(subset(d, stype %in% c(a,b)), grp = as.numeric(stype == b)); svyttest(api00 ~ grp, sub)",
    pairs = res)
}
## 3. each wave raked on its own (the report's raking): calibrated SEs of the wave means and changes
##    = one raking of the whole panel on margins crossed with the wave
pr <- p
pr$par <- ifelse(as.integer(sub("C", "", pr$customer)) %% 2 == 0, "even", "odd")
shares_region <- c(N = 0.45, S = 0.55)
shares_par <- c(even = 0.4, odd = 0.6)
tot <- tapply(pr$weight, pr$wave, sum)
pop_region <- data.frame(wave = rep(names(tot), each = 2), region = rep(names(shares_region), 3),
                         Freq = as.vector(outer(shares_region, tot)))
pop_par <- data.frame(wave = rep(names(tot), each = 2), par = rep(names(shares_par), 3),
                      Freq = as.vector(outer(shares_par, tot)))
for (ids in c("1", "customer")) {
  d0 <- svydesign(ids = as.formula(paste0("~", ids)), weights = ~weight, data = pr)
  dr <- rake(d0, list(~wave + region, ~wave + par), list(pop_region, pop_par),
             control = list(maxit = 200, epsilon = 1e-12))
  br <- svyby(~recommend, ~wave, dr, svymean)  # covmat=TRUE fails on raked designs in survey 4.1-1
  out[[paste0("raked_by_wave_ids_", ids)]] <- list(
    design = sprintf("svydesign(ids=~%s, weights=~weight, data=panel_waves); par = customer number even/odd", ids),
    r_call = paste("rake(d, list(~wave+region, ~wave+par), list(region shares N .45 S .55, par shares even .4 odd .6,",
                   "each times the wave's sum of weights), control=list(maxit=200, epsilon=1e-12));",
                   "svyby(~recommend, ~wave, dr, svymean)"),
    wave = br$wave, estimate = unname(coef(br)), se = unname(SE(br)),
    weights = unname(weights(dr)))
}
out$r_version <- R.version.string
out$survey_version <- as.character(packageVersion("survey"))
write(toJSON(out, auto_unbox = TRUE, digits = NA, pretty = TRUE), "issue14.json")
