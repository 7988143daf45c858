# Reference values for cxresearch.report.tabs (banner tables): design-based column tests.
# Run from this folder: Rscript make_tabs.R   (needs r-base-core r-cran-survey r-cran-jsonlite)
# Input: fair_tabs.csv (make_fair_tabs.py). Output: tabs_fair.json.
#
# For each table row (a 0/1 indicator of an answer, a net, or the item itself for the mean) and
# each banner variable: svyby(~y, ~banner, subset(des, !is.na(y)), svymean, covmat = TRUE) gives the
# column estimates and their covariance; svycontrast gives each pair's difference and SE;
# t = diff / SE, referred to Student t on two conventions of degrees of freedom:
#   p     : degf(des) - 1, the whole design's (svyby + svycontrast on the full sample);
#   p_sub : degf(subset) - 1 on the subset of the two columns with a valid answer, as svyttest run
#           on that subset (the pair's own df);
# Holm's correction (p.adjust) over the pairs of the banner variable within the row (p_holm,
# p_sub_holm). Letters (letters, letters_sub): the higher column gets the lower column's letter,
# UPPER CASE when the corrected p < 0.01, lower case when < 0.05. Letters run A, B, ... across the
# banner variables in order.
suppressMessages({library(survey); library(jsonlite)})
d <- read.csv("fair_tabs.csv")
des <- svydesign(ids = ~1, weights = ~weight, data = d)
rm_codes <- 1:5
oc_codes <- 1:6
rows <- list()
for (k in rm_codes) rows[[paste0("rate_marriage|code:", k)]] <- ifelse(is.na(d$rate_marriage), NA, as.numeric(d$rate_marriage == k))
rows[["rate_marriage|top2"]] <- ifelse(is.na(d$rate_marriage), NA, as.numeric(d$rate_marriage >= 4))
rows[["rate_marriage|bottom2"]] <- ifelse(is.na(d$rate_marriage), NA, as.numeric(d$rate_marriage <= 2))
rows[["rate_marriage|mean"]] <- d$rate_marriage
for (k in oc_codes) rows[[paste0("occupation|code:", k)]] <- as.numeric(d$occupation == k)

banners <- c("religious", "kids")
levels_of <- lapply(banners, function(b) sort(unique(d[[b]])))
names(levels_of) <- banners
letters_all <- LETTERS[seq_len(sum(lengths(levels_of)))]
letter_of <- list(); i <- 0
for (b in banners) for (lv in levels_of[[b]]) { i <- i + 1; letter_of[[paste(b, lv)]] <- letters_all[i] }

cases <- list()
for (key in names(rows)) {
  dd <- d; dd$y <- rows[[key]]
  ds <- svydesign(ids = ~1, weights = ~weight, data = dd)
  tot <- svymean(~y, ds, na.rm = TRUE)
  for (b in banners) {
    f <- as.formula(paste0("~", b))
    # the item's base: a subset keeps the full design for the variance (domain estimation);
    # svyby(..., na.rm = TRUE, covmat = TRUE) on the full design fails on NAs in survey 4.1
    by <- svyby(~y, f, subset(ds, !is.na(y)), svymean, covmat = TRUE)
    lv <- levels_of[[b]]
    est <- coef(by); se <- SE(by)
    pairs <- combn(seq_along(lv), 2)
    res <- data.frame()
    for (j in seq_len(ncol(pairs))) {
      a <- pairs[1, j]; c <- pairs[2, j]
      w <- rep(0, length(lv)); w[a] <- 1; w[c] <- -1
      ct <- svycontrast(by, w)
      t <- as.numeric(coef(ct)) / as.numeric(SE(ct))
      p <- 2 * pt(-abs(t), df = degf(ds) - 1)
      df_sub <- degf(subset(ds, !is.na(y) & get(b) %in% lv[c(a, c)])) - 1
      p_sub <- 2 * pt(-abs(t), df = df_sub)
      res <- rbind(res, data.frame(a = lv[a], b = lv[c], diff = as.numeric(coef(ct)), se = as.numeric(SE(ct)),
                                   t = t, p = p, df_sub = df_sub, p_sub = p_sub))
    }
    res$p_holm <- p.adjust(res$p, method = "holm")
    res$p_sub_holm <- p.adjust(res$p_sub, method = "holm")
    letters_for <- function(padj) {
      marks <- setNames(vector("list", length(lv)), as.character(lv))
      for (r in seq_len(nrow(res))) {
        if (padj[r] >= 0.05) next
        hi <- if (res$diff[r] > 0) res$a[r] else res$b[r]
        lo <- if (res$diff[r] > 0) res$b[r] else res$a[r]
        l <- letter_of[[paste(b, lo)]]
        marks[[as.character(hi)]] <- c(marks[[as.character(hi)]], if (padj[r] < 0.01) l else tolower(l))
      }
      sapply(as.character(lv), function(x) {
        m <- marks[[x]]
        if (is.null(m)) "" else paste(m[order(toupper(m))], collapse = "")
      })
    }
    lett <- letters_for(res$p_holm)
    lett_sub <- letters_for(res$p_sub_holm)
    # svyttest of the first pair on the subset design (its own degf): same t, df of the subset
    sub <- subset(ds, !is.na(y) & get(b) %in% lv[1:2])
    tt <- svyttest(as.formula(paste0("y ~ factor(", b, ")")), sub)
    cases[[length(cases) + 1]] <- list(
      row = key, banner = b, levels = lv, estimate = unname(est), se = unname(se),
      letters = unname(lett), letters_sub = unname(lett_sub), total = unname(coef(tot)), total_se = unname(SE(tot)),
      n = unname(sapply(lv, function(x) sum(!is.na(dd$y) & dd[[b]] == x))),
      pairs = res, df = degf(ds) - 1,
      svyttest_first_pair = list(t = unname(tt$statistic), df = unname(tt$parameter), p = unname(tt$p.value),
                                 estimate = unname(tt$estimate)),
      r_call = paste0("svyby(~y, ~", b, ", subset(des, !is.na(y)), svymean, covmat=TRUE); svycontrast(by, e_a - e_b); ",
                      "2*pt(-abs(t), degf(des)-1); p.adjust(p, 'holm')")
    )
  }
}
out <- list(
  made_by = "tests/reference/tabs/make_tabs.R",
  r_version = R.version.string, survey_version = as.character(packageVersion("survey")),
  design = "svydesign(ids = ~1, weights = ~weight, data = fair_tabs.csv)",
  alpha = c(0.01, 0.05), correction = "holm", banners = banners, cases = cases
)
writeLines(toJSON(out, digits = NA, auto_unbox = TRUE, pretty = TRUE), "tabs_fair.json")
cat(length(cases), "cases written to tabs_fair.json\n")
