# The R data sets the realdata tests read (CI has no R): run from this folder with
#   Rscript make_realdata.R
# MASS 7.3 `survey` (237 students), lavaan 0.6 `HolzingerSwineford1939` (301 pupils); written as they
# ship (factor levels as text, NA as empty cells).
write.csv(MASS::survey, "mass_survey.csv", row.names = FALSE, na = "")
write.csv(lavaan::HolzingerSwineford1939, "holzinger1939.csv", row.names = FALSE, na = "")
