# Extra reference values for cxresearch.survey (NPS, top-box, contrasts between domains, panel waves).
# Run from tests/reference/survey: Rscript make_extra.R   (R 4.2.2, survey 4.1-1; writes survey_extra.json)
suppressPackageStartupMessages({library(survey); library(jsonlite)})
cases <- list()
add <- function(id, call, design, values) cases[[length(cases) + 1]] <<- list(id = id, r_call = call, design = design, values = values)
apistrat <- read.csv("apistrat.csv")
# a 0-10 "recommend" score derived from api00, and a 1-5 item derived from meals
apistrat$rec <- pmin(10, floor(apistrat$api00 / 90) - 1)
apistrat$nps_x <- 100 * ((apistrat$rec >= 9) - (apistrat$rec <= 6))
apistrat$item5 <- pmin(5, 1 + floor(apistrat$meals / 20))
apistrat$top2 <- as.numeric(apistrat$item5 >= 4)
write.csv(apistrat[, c("stype", "pw", "fpc", "rec", "item5")], "apistrat_kpi.csv", row.names = FALSE)
ds <- "svydesign(ids=~1, strata=~stype, weights=~pw, fpc=~fpc, data=apistrat_kpi)"
d <- svydesign(ids = ~1, strata = ~stype, weights = ~pw, fpc = ~fpc, data = apistrat)
m <- svymean(~nps_x, d)
add("nps_overall", "svymean(~I(100*((rec>=9)-(rec<=6))), d)", ds, list(estimate = unname(coef(m)), se = unname(SE(m))))
b <- svyby(~nps_x, ~stype, d, svymean, covmat = TRUE)
add("nps_by_stype", "svyby(~I(100*((rec>=9)-(rec<=6))), ~stype, d, svymean)", ds,
    list(level = as.character(b$stype), estimate = unname(coef(b)), se = unname(SE(b))))
ct <- svycontrast(b, c(-1, 1, 0))
add("nps_diff_H_minus_E", "svycontrast(svyby(~nps, ~stype, d, svymean, covmat=TRUE), c(E=-1, H=1, M=0))", ds,
    list(estimate = unname(coef(ct)), se = unname(SE(ct))))
ci <- svyciprop(~I(item5 >= 4), d, method = "logit")
add("top2_item5_logit", "svyciprop(~I(item5>=4), d, method='logit')", ds,
    list(estimate = as.numeric(coef(ci)), se = as.numeric(SE(ci)), ci_lower = as.numeric(confint(ci)[1]), ci_upper = as.numeric(confint(ci)[2])))
bt <- svyby(~top2, ~stype, d, svymean)
add("top2_by_stype", "svyby(~I(as.numeric(item5>=4)), ~stype, d, svymean)", ds,
    list(level = as.character(bt$stype), estimate = unname(coef(bt)), se = unname(SE(bt))))

# panel waves: the same customers answer several waves; customer is the cluster, region the stratum
p <- read.csv("panel_waves.csv")
p$nps_x <- 100 * ((p$recommend >= 9) - (p$recommend <= 6))
dp <- svydesign(ids = ~customer, strata = ~region, weights = ~weight, data = p)
dps <- "svydesign(ids=~customer, strata=~region, weights=~weight, data=panel_waves)"
bw <- svyby(~sat, ~wave, subset(dp, !is.na(sat)), svymean, covmat = TRUE)
add("panel_sat_by_wave", "svyby(~sat, ~wave, subset(d, !is.na(sat)), svymean, covmat=TRUE)  # = na.rm=TRUE", dps,
    list(level = bw$wave, estimate = unname(coef(bw)), se = unname(SE(bw))))
c1 <- svycontrast(bw, c(-1, 1, 0)); c2 <- svycontrast(bw, c(0, -1, 1))
add("panel_sat_change", "svycontrast(svyby(~sat, ~wave, subset(d, !is.na(sat)), svymean, covmat=TRUE), c(-1,1,0)) and c(0,-1,1)", dps,
    list(estimate = c(unname(coef(c1)), unname(coef(c2))), se = c(unname(SE(c1)), unname(SE(c2)))))
bn <- svyby(~nps_x, ~wave, dp, svymean, covmat = TRUE)
cn <- svycontrast(bn, c(-1, 0, 1))
add("panel_nps_2025_minus_2023", "svycontrast(svyby(~I(100*((recommend>=9)-(recommend<=6))), ~wave, d, svymean, covmat=TRUE), c(-1,0,1))", dps,
    list(estimate_a = unname(coef(bn))[1], estimate_b = unname(coef(bn))[3], se_a = unname(SE(bn))[1],
         estimate = unname(coef(cn)), se = unname(SE(cn))))
tb <- svytotal(~sat, dp, na.rm = TRUE)
add("panel_total_sat", "svytotal(~sat, d, na.rm=TRUE)", dps, list(estimate = unname(coef(tb)), se = unname(SE(tb))))

# lonely PSUs: apiclus1 with district 716 alone in its own stratum (one PSU there)
a1 <- read.csv("apiclus1.csv"); a1$grp <- ifelse(a1$dnum == 716, "solo", "rest")
dls <- "svydesign(ids=~dnum, strata=~grp, weights=~pw, data=apiclus1)  # grp: dnum 716 alone"
for (rule in c("remove", "adjust")) {
  options(survey.lonely.psu = rule)
  dl <- svydesign(ids = ~dnum, strata = ~grp, weights = ~pw, data = a1)
  ml <- svymean(~api00, dl); bl <- svyby(~api00, ~stype, dl, svymean)
  add(paste0("lonely_", rule), sprintf("options(survey.lonely.psu='%s'); svymean(~api00, d); svyby(~api00, ~stype, d, svymean)", rule), dls,
      list(estimate = unname(coef(ml)), se = unname(SE(ml)), by_level = as.character(bl$stype), by_se = unname(SE(bl))))
}
options(survey.lonely.psu = "fail")

# domain logit intervals: svyby(..., svyciprop) uses each domain's own degrees of freedom
for (f in c("apistrat", "apiclus1")) {
  d0 <- read.csv(paste0(f, ".csv"))
  if (f == "apistrat") {
    dd <- svydesign(ids = ~1, strata = ~stype, weights = ~pw, data = d0); dds <- "svydesign(ids=~1, strata=~stype, weights=~pw, data=apistrat)"
  } else {
    dd <- svydesign(ids = ~dnum, weights = ~pw, data = d0); dds <- "svydesign(ids=~dnum, weights=~pw, data=apiclus1)"
  }
  bb <- svyby(~I(sch.wide == "Yes"), ~stype, dd, svyciprop, vartype = "ci", method = "logit")
  add(paste0("by_ciprop_", f), "svyby(~I(sch.wide=='Yes'), ~stype, d, svyciprop, vartype='ci', method='logit'); sapply(levels, function(s) degf(subset(d, stype==s)))", dds,
      list(level = as.character(bb$stype), estimate = unname(bb[, 2]), ci_lower = unname(bb$ci_l), ci_upper = unname(bb$ci_u),
           df = unname(sapply(as.character(bb$stype), function(s) degf(subset(dd, stype == s))))))
}

# crossed domains: svyby over two variables, stratified + fpc, and one-stage cluster
as1 <- read.csv("apistrat.csv")
dx <- svydesign(ids = ~1, strata = ~stype, weights = ~pw, fpc = ~fpc, data = as1)
bx <- svyby(~api00, ~stype + awards, dx, svymean)
add("by_two_strat_fpc", "svyby(~api00, ~stype+awards, d, svymean)", "svydesign(ids=~1, strata=~stype, weights=~pw, fpc=~fpc, data=apistrat)",
    list(stype = as.character(bx$stype), awards = as.character(bx$awards), estimate = unname(coef(bx)), se = unname(SE(bx))))
ac1 <- read.csv("apiclus1.csv")
dc <- svydesign(ids = ~dnum, weights = ~pw, fpc = ~fpc, data = ac1)
bc <- svyby(~enroll, ~stype + awards, dc, svytotal)
add("by_two_total_clus1_fpc", "svyby(~enroll, ~stype+awards, d, svytotal)", "svydesign(ids=~dnum, weights=~pw, fpc=~fpc, data=apiclus1)",
    list(stype = as.character(bc$stype), awards = as.character(bc$awards), estimate = unname(coef(bc)), se = unname(SE(bc))))
write(toJSON(cases, auto_unbox = TRUE, digits = NA, pretty = TRUE), "survey_extra.json")
cat("wrote", length(cases), "cases\n")
