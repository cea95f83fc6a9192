# Create the rice data shipped with SLAMglmm: rice (phenotypes) and rice_markers (genotypes).
#
# Run from the package root:  Rscript data-raw/rice.R
#
# Source: Zhao, K. et al. (2011). Genome-wide association mapping reveals a rich genetic
# architecture of complex traits in Oryza sativa. Nature Communications 2, 467. The tables
# are those distributed with the sommer R package (G. Covarrubias-Pazaran; GPL-2 | GPL-3),
# exported to CSV in shared/data/rice/ (rice_pheno.csv, rice_GT_markers.csv).
#
# Conversions: a subset of traits, renamed; culm habit (a 1-9 score averaged over plants) is
# grouped into four ordered classes and blast resistance (a 1-9 score) into three; the 100
# markers (nucleotide letters) are coded 0/1/2 as the number of copies of the minor allele,
# missing calls stay NA; rows in the order of the phenotype file, named by accession.

src <- Sys.getenv("SLAM_RICE_DIR", "../shared/data/rice")
if (!dir.exists(src)) src <- "/work/shared/data/rice"
stopifnot(dir.exists(src))

ph <- utils::read.csv(file.path(src, "rice_pheno.csv"), stringsAsFactors = FALSE)
gt <- utils::read.csv(file.path(src, "rice_GT_markers.csv"), stringsAsFactors = FALSE,
                      na.strings = c("", "NA"))
stopifnot(!anyDuplicated(ph$geno), all(ph$geno %in% gt$id))

culm_classes <- c("erect", "intermediate", "open", "spreading")
blast_classes <- c("resistant", "intermediate", "susceptible")
rice <- data.frame(
  accession = factor(ph$geno, levels = ph$geno),
  awn = ph$Awn.presence,
  pubescence = ph$Leaf.pubescence,
  pericarp = ph$Pericarp.color,
  culm = cut(ph$Culm.habit, c(0, 3, 5, 7, 9), labels = culm_classes, ordered_result = TRUE),
  blast = cut(ph$Blast.resistance, c(0, 3, 6, 9), labels = blast_classes, ordered_result = TRUE),
  height = ph$Plant.height,
  panicle_length = ph$Panicle.length,
  flowering = ph$Flowering.time.at.Arkansas,
  seed_length = ph$Seed.length,
  amylose = ph$Amylose.content,
  stringsAsFactors = FALSE
)
rownames(rice) <- NULL

gt <- gt[match(ph$geno, gt$id), ]
letters_mat <- as.matrix(gt[, -1L])
code <- function(x) {
  tab <- sort(table(x[!is.na(x)]), decreasing = TRUE)
  if (length(tab) < 2L) return(rep(NA_real_, length(x)))
  # homozygous lines: the minor allele counts twice
  ifelse(is.na(x), NA_real_, ifelse(x == names(tab)[1L], 0, 2))
}
rice_markers <- apply(letters_mat, 2L, code)
rice_markers <- rice_markers[, colSums(!is.na(rice_markers)) > 0 &
                               apply(rice_markers, 2L, function(v) length(unique(v[!is.na(v)])) == 2L)]
rownames(rice_markers) <- ph$geno
storage.mode(rice_markers) <- "double"

save(rice, file = "data/rice.rda", compress = "xz")
save(rice_markers, file = "data/rice_markers.rda", compress = "xz")
cat("rice:", nrow(rice), "accessions,", ncol(rice) - 1L, "traits; rice_markers:",
    ncol(rice_markers), "markers\n")
