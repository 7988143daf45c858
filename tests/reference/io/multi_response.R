# Rscript multi_response.R  (R 4.2.2, survey 4.1-1): the shares of tests/reference/io/multi_response.csv
suppressMessages(library(survey))
d <- read.csv("multi_response.csv", na.strings = c("", "-99"))
opts <- c("ch_phone", "ch_web", "ch_branch")
base <- d[complete.cases(d[, opts]), ]
un <- svydesign(ids = ~1, weights = ~1, data = transform(base, one = 1))
w <- svydesign(ids = ~1, weights = ~weight, data = base)
f <- ~ch_phone + ch_web + ch_branch
cat("n", nrow(base), "\n")
cat("unweighted", format(coef(svymean(f, un)), digits = 15), "\n")
cat("weighted", format(coef(svymean(f, w)), digits = 15), "\n")
cat("weighted_se", format(SE(svymean(f, w)), digits = 15), "\n")
