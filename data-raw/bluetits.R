# Create the blue tit data shipped with SLAMglmm: BTdata and BTped.
#
# Run from the package root:  Rscript data-raw/bluetits.R
#
# Source: Hadfield, J. D., Nutall, A., Osorio, D. and Owens, I. P. F. (2007).
# Testing the phenotypic gambit: phenotypic, genetic and environmental
# correlations of colour. Journal of Evolutionary Biology 20, 549-557.
# The two tables are those distributed with the MCMCglmm R package
# (J. D. Hadfield, licence GPL-2 | GPL-3), exported to CSV in
# shared/data/blue_tits/ (BTdata.csv, BTped.csv). The data therefore carry the
# GPL-2 | GPL-3 licence of MCMCglmm; see ?BTdata.
#
# Conversions: empty strings become NA; the grouping variables of BTdata
# (animal, dam, fosternest) and sex become factors; the pedigree BTped stays a
# data frame of character ids (animal, dam, sire) with NA for unknown parents,
# the format taken by pedigree_A() and by SLAMglmm(relmat = ).

src <- Sys.getenv("SLAM_BLUETITS_DIR", "../shared/data/blue_tits")
if (!dir.exists(src)) src <- "/work/shared/data/blue_tits"
stopifnot(dir.exists(src))

read_bt <- function(file) {
  utils::read.csv(file.path(src, file), na.strings = c("", "NA"),
                  stringsAsFactors = FALSE, strip.white = TRUE)
}

## ---- phenotypes -------------------------------------------------------------
raw <- read_bt("BTdata.csv")
stopifnot(identical(names(raw), c("tarsus", "back", "animal", "dam", "fosternest",
                                  "hatchdate", "sex")),
          nrow(raw) == 828L, !anyDuplicated(raw$animal))

BTdata <- data.frame(
  tarsus     = as.numeric(raw$tarsus),
  back       = as.numeric(raw$back),
  animal     = factor(raw$animal),
  dam        = factor(raw$dam),
  fosternest = factor(raw$fosternest),
  hatchdate  = as.numeric(raw$hatchdate),
  sex        = factor(raw$sex, levels = c("Fem", "Male", "UNK")),
  stringsAsFactors = FALSE
)
stopifnot(!anyNA(BTdata$sex))

## ---- pedigree ---------------------------------------------------------------
ped <- read_bt("BTped.csv")
stopifnot(identical(names(ped), c("animal", "dam", "sire")), !anyDuplicated(ped$animal))
BTped <- data.frame(animal = as.character(ped$animal),
                    dam    = as.character(ped$dam),
                    sire   = as.character(ped$sire),
                    stringsAsFactors = FALSE)

# every bird with a record, and every dam, is in the pedigree; all parents have rows
stopifnot(all(levels(BTdata$animal) %in% BTped$animal),
          all(levels(BTdata$dam) %in% BTped$animal),
          all(stats::na.omit(c(BTped$dam, BTped$sire)) %in% BTped$animal))

dir.create("data", showWarnings = FALSE)
save(BTdata, file = "data/BTdata.rda", compress = "xz")
save(BTped, file = "data/BTped.rda", compress = "xz")
