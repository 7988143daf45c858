# Reference values from relaimpo 2.2-7 (Grömping 2006, doi:10.18637/jss.v017.i01), the package whose
# "lmg" the issue names.  relaimpo is not packaged by Debian: install its CRAN source
# (R CMD INSTALL relaimpo_2.2-7.tar.gz; Debian deps r-cran-mass r-cran-boot r-cran-survey
# r-cran-mitools r-cran-corpcor r-cran-jsonlite), then run from this folder:
#   Rscript make_reference_relaimpo.R
# Reads swiss.csv and mtcars.csv written by make_reference.R; writes relaimpo_reference.json.
library(relaimpo)
library(jsonlite)

swiss <- read.csv("swiss.csv")
mt <- read.csv("mtcars.csv")
ref <- list()

f <- calc.relimp(Fertility ~ ., data = swiss, type = c("lmg", "pratt", "betasq", "first", "last"))
ref$swiss <- list(lmg = f@lmg, pratt = f@pratt, betasq = f@betasq, first = f@first,
                  last = f@last, r2 = f@R2, names = names(f@lmg),
                  call = "calc.relimp(Fertility ~ ., data = swiss, type = c('lmg', 'pratt', 'betasq', 'first', 'last'))")
fr <- calc.relimp(Fertility ~ ., data = swiss, type = "lmg", rela = TRUE)
ref$swiss_rela <- list(lmg = fr@lmg, call = "calc.relimp(Fertility ~ ., data = swiss, type = 'lmg', rela = TRUE)")

fit <- lm(mpg ~ cyl + disp + hp + drat + wt + qsec, data = mt, weights = w)
g <- calc.relimp(fit, type = "lmg")
ref$mtcars_weighted <- list(lmg = g@lmg, r2 = g@R2, names = names(g@lmg),
                            call = "calc.relimp(lm(mpg ~ cyl + disp + hp + drat + wt + qsec, data = mtcars, weights = carb), type = 'lmg')")
writeLines(toJSON(ref, digits = NA, auto_unbox = TRUE, pretty = TRUE), "relaimpo_reference.json")
