# Reference values for the segment scorecard (segment vs Total) on raked designs (issue 14),
# used by tests/test_findings_scorecard.py.
# Run from tests/reference/survey: Rscript make_scorecard.R   (R 4.2.2, survey 4.1-1; writes scorecard.json)
#
# A segment is part of Total, so svyby + svycontrast (which assumes disjoint domains and, in survey
# 4.1-1, cannot give covmat on a raked design) does not apply. The contrast segment - Total is the
# ratio contrast of four totals, linearised by svycontrast on the totals' covariance matrix:
#   svycontrast(svytotal(~ys + s + y + one, d), quote(ys/s - y/one))
# with s the segment indicator, ys = y * s and one = 1. On a raked design svytotal's covariance is
# the calibrated one (influence values residualised on the margins), so is the contrast's SE.
suppressPackageStartupMessages({library(survey); library(jsonlite)})
out <- list()

gap <- function(des, lev_var, lev) {
  des <- eval(bquote(update(des, s = as.numeric(.(as.name(lev_var)) == .(lev)))))
  des <- update(des, ys = y * s, one = 1)
  tt <- svytotal(~ys + s + y + one, des)
  cc <- svycontrast(tt, quote(ys / s - y / one))
  seg <- svyratio(~ys, ~s, des)
  list(level = lev, difference = unname(coef(cc)), se = unname(SE(cc)),
       segment = unname(coef(seg)), total = unname(coef(svymean(~y, des))))
}
cases <- function(des, by_vars) {
  res <- list()
  for (v in by_vars) {
    levs <- sort(unique(as.character(des$variables[[v]])))
    res[[v]] <- lapply(levs, function(l) gap(des, v, l))
  }
  res
}
tight <- list(maxit = 1000, epsilon = 1e-10)

## 1. apiclus1: one-stage cluster sample of districts with fpc, raked on stype and sch.wide
##    (the ?rake example, converged); KPI api00; segments stype (a margin) and awards
c1 <- read.csv("apiclus1.csv")
c1$y <- c1$api00
pop.types <- data.frame(stype = c("E", "H", "M"), Freq = c(4421, 755, 1018))
pop.schwide <- data.frame(sch.wide = c("No", "Yes"), Freq = c(1072, 5122))
d0 <- svydesign(ids = ~dnum, weights = ~pw, fpc = ~fpc, data = c1)
dr <- rake(d0, list(~stype, ~sch.wide), list(pop.types, pop.schwide), control = tight)
c1$raked_w <- weights(dr)
dfix <- svydesign(ids = ~dnum, weights = ~raked_w, fpc = ~fpc, data = c1)
out$clus1_raked <- list(
  data = "apiclus1.csv", score = "api00", kpi = "mean",
  design = "svydesign(ids=~dnum, weights=~pw, fpc=~fpc, data=apiclus1)",
  r_call = paste("rake(d, list(~stype, ~sch.wide), list(pop.types, pop.schwide), control=list(maxit=1000, epsilon=1e-10));",
                 "svycontrast(svytotal(~ys+s+y+one, dr), quote(ys/s - y/one)), y = api00"),
  margins = list(stype = setNames(as.list(pop.types$Freq), pop.types$stype),
                 sch.wide = setNames(as.list(pop.schwide$Freq), pop.schwide$sch.wide)),
  degf = degf(dr), weights = unname(weights(dr)),
  by = cases(dr, c("stype", "awards")))
out$clus1_fixed_raked_weights <- list(
  data = "apiclus1.csv", score = "api00", kpi = "mean",
  design = "svydesign(ids=~dnum, weights=~raked_w, fpc=~fpc, data=apiclus1)  # the raked weights held fixed",
  r_call = "svycontrast(svytotal(~ys+s+y+one, d), quote(ys/s - y/one)), y = api00",
  degf = degf(dfix), by = cases(dfix, c("stype", "awards")))
out$clus1_unraked <- list(
  data = "apiclus1.csv", score = "api00", kpi = "mean",
  design = "svydesign(ids=~dnum, weights=~pw, fpc=~fpc, data=apiclus1)",
  r_call = "svycontrast(svytotal(~ys+s+y+one, d), quote(ys/s - y/one)), y = api00",
  degf = degf(d0), by = cases(d0, c("stype", "awards")))

## 2. apistrat: stratified by stype with fpc, raked on sch.wide and awards (invented population
##    counts summing to the 6194 schools); KPIs api00 (mean) and an NPS on the 0-10 score
##    rec = min(10, floor(api00/90) - 1) of survey_extra.json; segments stype (the strata) and comp.imp
a <- read.csv("apistrat.csv")
a$rec <- pmin(10, floor(a$api00 / 90) - 1)
pop.awards <- data.frame(awards = c("No", "Yes"), Freq = c(2500, 3694))
for (kpi in c("mean", "nps")) {
  a$y <- if (kpi == "mean") a$api00 else 100 * ((a$rec >= 9) - (a$rec <= 6))
  s0 <- svydesign(ids = ~1, strata = ~stype, weights = ~pw, fpc = ~fpc, data = a)
  sr <- rake(s0, list(~sch.wide, ~awards), list(pop.schwide, pop.awards), control = tight)
  out[[paste0("strat_raked_", kpi)]] <- list(
    data = "apistrat.csv", score = if (kpi == "mean") "api00" else "rec", kpi = kpi,
    design = "svydesign(ids=~1, strata=~stype, weights=~pw, fpc=~fpc, data=apistrat)",
    r_call = paste("rake(d, list(~sch.wide, ~awards), list(pop.schwide, pop.awards = No 2500 Yes 3694), control=list(maxit=1000, epsilon=1e-10));",
                   "svycontrast(svytotal(~ys+s+y+one, dr), quote(ys/s - y/one)),",
                   if (kpi == "mean") "y = api00" else "y = 100*((rec>=9)-(rec<=6)), rec = pmin(10, floor(api00/90)-1)"),
    margins = list(sch.wide = setNames(as.list(pop.schwide$Freq), pop.schwide$sch.wide),
                   awards = setNames(as.list(pop.awards$Freq), pop.awards$awards)),
    degf = degf(sr), weights = unname(weights(sr)),
    by = cases(sr, c("stype", "comp.imp")))
}
out$r_version <- R.version.string
out$survey_version <- as.character(packageVersion("survey"))
write(toJSON(out, auto_unbox = TRUE, digits = NA, pretty = TRUE), "scorecard.json")
