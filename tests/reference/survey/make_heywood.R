# Reference for the Heywood flag of cxresearch.survey.omega (tests/test_survey_reliability.py).
# Run from tests/reference/survey: Rscript make_heywood.R   (R 4.2.2, psych; writes heywood.json)
# heywood_items.csv: 400 rows whose correlation matrix is exactly
# [[1,.85,.85,.6],[.85,1,.5,.45],[.85,.5,1,.45],[.6,.45,.45,1]] (written by numpy; a one-factor
# model needs a loading above 1 for item h1: lambda1^2 = r12 r13 / r23 = 1.445).
suppressPackageStartupMessages({library(psych); library(jsonlite)})
x <- read.csv("heywood_items.csv")
warns <- character(0)
f <- withCallingHandlers(fa(x, nfactors = 1, fm = "minres"),
                         warning = function(w) { warns <<- c(warns, conditionMessage(w)); invokeRestart("muffleWarning") })
womega <- character(0)
o <- withCallingHandlers(omega(x, nfactors = 1, plot = FALSE),
                         warning = function(w) { womega <<- c(womega, conditionMessage(w)); invokeRestart("muffleWarning") })
out <- list(
  r_call = "fa(x, nfactors=1, fm='minres'); omega(x, nfactors=1, plot=FALSE); warnings captured",
  loadings = unname(as.numeric(f$loadings)), communality = unname(f$communality),
  fa_warnings = warns, omega_warnings = womega, omega_total = o$omega.tot,
  psych_version = as.character(packageVersion("psych")), r_version = R.version.string)
write(toJSON(out, auto_unbox = TRUE, digits = NA, pretty = TRUE), "heywood.json")
