# Reference values for tests/test_drivers*.py, computed with base R (lm, glm, cor, eigen) and
# survey::svyglm on data R ships.  Run from this folder:
#   Rscript make_reference.R
# (Debian: r-base-core r-cran-jsonlite r-cran-survey; R 4.2.2, survey 4.1-1.)
# Writes the input data as CSV and every number to drivers_reference.json.
library(jsonlite)
library(survey)

write.csv(swiss, "swiss.csv", row.names = FALSE)
mt <- mtcars[, c("mpg", "cyl", "disp", "hp", "drat", "wt", "qsec", "gear")]
mt$w <- mtcars$carb                    # a deterministic positive weight
write.csv(mt, "mtcars.csv", row.names = FALSE)
write.csv(airquality, "airquality.csv", row.names = FALSE)
inf <- infert[, c("case", "age", "parity", "induced", "spontaneous")]
inf$w <- 0.5 + (seq_len(nrow(inf)) %% 4) / 2   # deterministic weights 0.5 .. 2
write.csv(inf, "infert.csv", row.names = FALSE)

# LMG by definition: R² of every subset from lm(), Shapley weights |S|!(p-|S|-1)!/p!
lmg_bruteforce <- function(data, y, xs, wcol = NULL) {
  p <- length(xs)
  r2 <- function(S) {
    if (length(S) == 0) return(0)
    f <- reformulate(xs[S], response = y)
    data$.wt <- if (is.null(wcol)) 1 else data[[wcol]]
    fit <- if (is.null(wcol)) lm(f, data = data) else lm(f, data = data, weights = .wt)
    summary(fit)$r.squared
  }
  out <- numeric(p)
  for (j in seq_len(p)) {
    others <- setdiff(seq_len(p), j)
    for (k in 0:(p - 1)) {
      sets <- if (k == 0) list(integer(0)) else combn(others, k, simplify = FALSE)
      wk <- factorial(k) * factorial(p - k - 1) / factorial(p)
      for (S in sets) out[j] <- out[j] + wk * (r2(c(S, j)) - r2(S))
    }
  }
  list(lmg = setNames(out, xs), r2 = r2(seq_len(p)))
}

# Johnson's relative weights, as in RWA-Web (Tonidandel & LeBreton 2015, doi:10.1007/s10869-014-9351-z)
rwa <- function(X, Y) {
  R <- cor(cbind(Y, X)); RXX <- R[-1, -1]; RXY <- R[-1, 1]
  E <- eigen(RXX)
  Lambda <- E$vectors %*% diag(sqrt(E$values)) %*% t(E$vectors)
  beta <- solve(Lambda) %*% RXY
  raw <- as.vector((Lambda^2) %*% beta^2)
  setNames(raw, colnames(X))
}

# Logistic relative weights (Tonidandel & LeBreton 2010, doi:10.1007/s10869-010-9204-3),
# as in RWA-Web: orthogonal counterparts Z of the standardised X, logit on Z, betas rescaled by
# the McKelvey-Zavoina R and the SD of the linear predictor
rwa_logistic <- function(X, Y) {
  X <- scale(X)
  R <- cor(X); E <- eigen(R)
  Lambda <- E$vectors %*% diag(sqrt(E$values)) %*% t(E$vectors)
  Z <- X %*% E$vectors %*% diag(1 / sqrt(E$values)) %*% t(E$vectors)
  fit <- glm(Y ~ Z, family = binomial)
  b <- coef(fit)[-1]
  lp <- predict(fit, type = "link")
  r2mz <- var(lp) / (var(lp) + pi^2 / 3)
  beta <- b * sqrt(r2mz) / sd(lp)
  raw <- as.vector((Lambda^2) %*% beta^2)
  list(raw = setNames(raw, colnames(X)), r2 = r2mz)
}

ref <- list()
sx <- c("Agriculture", "Examination", "Education", "Catholic", "Infant.Mortality")
ref$swiss_lmg <- c(lmg_bruteforce(swiss, "Fertility", sx),
                   call = "lmg_bruteforce(swiss, 'Fertility', sx)")
mx <- c("cyl", "disp", "hp", "drat", "wt", "qsec")
ref$mtcars_lmg <- c(lmg_bruteforce(mt, "mpg", mx), call = "lmg_bruteforce(mt, 'mpg', mx)")
ref$mtcars_lmg_weighted <- c(lmg_bruteforce(mt, "mpg", mx, wcol = "w"),
                             call = "lmg_bruteforce(mt, 'mpg', mx, wcol = 'w')  # lm(weights = carb)")
ref$swiss_rw <- list(raw = rwa(as.matrix(swiss[, sx]), swiss$Fertility),
                     call = "rwa(as.matrix(swiss[, sx]), swiss$Fertility)")
ref$mtcars_rw <- list(raw = rwa(as.matrix(mt[, mx]), mt$mpg),
                      call = "rwa(as.matrix(mt[, mx]), mt$mpg)")
aq <- airquality
ax <- c("Solar.R", "Wind", "Temp")
ref$airquality_pairwise <- list(
  cor = cor(aq[, c(ax, "Ozone")], use = "pairwise.complete.obs"),
  call = "cor(airquality[, c('Solar.R', 'Wind', 'Temp', 'Ozone')], use = 'pairwise.complete.obs')")
ref$airquality_listwise_lmg <- c(lmg_bruteforce(na.omit(aq[, c(ax, "Ozone")]), "Ozone", ax),
                                 call = "lmg_bruteforce(na.omit(airquality[...]), 'Ozone', ax)")
ref$swiss_spearman <- list(rho = cor(swiss[, sx], swiss$Fertility, method = "spearman")[, 1],
                           call = "cor(swiss[, sx], swiss$Fertility, method = 'spearman')")
ix <- c("age", "parity", "induced", "spontaneous")
lr <- rwa_logistic(as.matrix(inf[, ix]), inf$case)
ref$infert_logistic_rw <- c(lr, call = "rwa_logistic(as.matrix(infert[, ix]), infert$case)")
g <- glm(case ~ age + parity + induced + spontaneous, family = binomial, data = inf)
ref$infert_glm <- list(coef = coef(g), se = sqrt(diag(vcov(g))),
                       or_ci = exp(confint.default(g)),
                       call = "glm(case ~ age + parity + induced + spontaneous, binomial, infert); exp(confint.default(g))")
des <- svydesign(ids = ~1, weights = ~w, data = inf)
sg <- svyglm(case ~ age + parity + induced + spontaneous, design = des, family = quasibinomial())
ref$infert_svyglm <- list(coef = coef(sg), se = sqrt(diag(vcov(sg))),
                          call = "svyglm(case ~ age + parity + induced + spontaneous, svydesign(ids = ~1, weights = ~w, data = infert), family = quasibinomial())")
writeLines(toJSON(ref, digits = NA, auto_unbox = TRUE, pretty = TRUE), "drivers_reference.json")
