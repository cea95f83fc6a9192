#' Simulated multi-trait phenotypes of 300 half-sib animals
#'
#' A small example data set for [SLAMglmm()]: eight correlated traits measured
#' on 300 animals from 15 paternal half-sib families (20 offspring per sire,
#' every offspring from a different dam). The traits were simulated from the
#' SLAMglmm model itself (three sparse latent factors with factor heritabilities
#' 0.8, 0.4 and 0, trait-specific heritabilities between 0.2 and 0.4 and a sex
#' effect), using the genomic kinship [slam_kinship]; the values used are in
#' [slam_truth]. About 2% of the trait values are missing completely at random.
#' The traits have deliberately different scales (y5 is about ten times as
#' variable as y1), so that results on the data scale can be checked.
#'
#' @format A data frame with 300 rows and 11 columns:
#' \describe{
#'   \item{animal}{character, animal id (`"A001"` to `"A300"`); matches the
#'     dimnames of [slam_kinship].}
#'   \item{sire}{factor with 15 levels, the sire (half-sib family) of the animal.}
#'   \item{sex}{factor with levels `"F"` and `"M"`.}
#'   \item{y1, y2, y3, y4, y5, y6, y7, y8}{numeric traits, with a few `NA`.}
#' }
#' @source Simulated; the script is `data-raw/make_example.R` in the package
#'   sources (seeded, so it reproduces the data exactly).
#' @seealso [slam_kinship], [slam_truth]
#' @examples
#' data(slam_pheno)
#' str(slam_pheno)
#' colSums(is.na(slam_pheno[paste0("y", 1:8)]))
#' # phenotypic correlations among the traits
#' round(cor(slam_pheno[paste0("y", 1:8)], use = "pairwise.complete.obs"), 2)
#' @name slam_pheno
#' @docType data
#' @usage data(slam_pheno)
#' @keywords datasets
NULL

#' Genomic kinship matrix of the animals in slam_pheno
#'
#' A 300 x 300 genomic relationship matrix (VanRaden 2008, method 1) computed
#' from 3000 simulated unlinked bi-allelic markers of the animals in
#' [slam_pheno]: `K = Z Z' / (2 sum_l p_l (1 - p_l)) + 0.01 I`, where `Z` holds
#' the allele counts centred by twice the observed allele frequencies. The
#' `0.01 I` term is already added, so the matrix is positive definite (the
#' centred VanRaden matrix alone is singular). Half-sibs are related by about
#' 0.22 on average, as expected (0.25 in a pedigree).
#'
#' @format A numeric 300 x 300 symmetric positive-definite matrix; row and
#'   column names are the animal ids of `slam_pheno$animal`.
#' @source Simulated; see `data-raw/make_example.R` in the package sources.
#' @references VanRaden, P. M. (2008). Efficient methods to compute genomic
#'   predictions. *Journal of Dairy Science* 91, 4414-4423.
#' @seealso [slam_pheno], [slam_truth]
#' @examples
#' data(slam_pheno, slam_kinship)
#' dim(slam_kinship)
#' summary(diag(slam_kinship))
#' # relationship of half-sibs (same sire) versus unrelated animals
#' same_sire <- outer(slam_pheno$sire, slam_pheno$sire, "==")
#' off <- upper.tri(slam_kinship)
#' c(half_sibs = mean(slam_kinship[same_sire & off]),
#'   others = mean(slam_kinship[!same_sire & off]))
#' @name slam_kinship
#' @docType data
#' @usage data(slam_kinship)
#' @keywords datasets
NULL

#' True parameter values used to simulate slam_pheno
#'
#' The parameters of the SLAMglmm model from which [slam_pheno] was simulated,
#' on the data scale, for comparing a fit with the truth.
#'
#' @format A list:
#' \describe{
#'   \item{Lambda}{8 x 3 sparse factor loadings (traits x factors).}
#'   \item{h2F}{named numeric of length 3: the factor heritabilities (0.8, 0.4, 0).}
#'   \item{h2}{named numeric of length 8: the trait-specific proportion of the
#'     trait residual variance `psi` due to the animal effect.}
#'   \item{psi}{named numeric of length 8: trait-specific (residual) variances.}
#'   \item{G}{8 x 8 genetic covariance matrix,
#'     `Lambda diag(h2F) Lambda' + diag(h2 psi)`.}
#'   \item{R}{8 x 8 residual covariance matrix,
#'     `Lambda diag(1 - h2F) Lambda' + diag((1 - h2) psi)`.}
#'   \item{P}{8 x 8 phenotypic covariance matrix, `G + R`.}
#'   \item{h2_total}{named numeric of length 8: trait heritabilities
#'     `diag(G) / diag(P)`.}
#'   \item{B}{2 x 8 fixed effects (rows `(Intercept)` and `sexM`).}
#'   \item{U}{300 x 8 simulated genetic values (breeding values) of the animals.}
#' }
#' @source Simulated; see `data-raw/make_example.R` in the package sources.
#' @seealso [slam_pheno], [slam_kinship]
#' @examples
#' data(slam_truth)
#' round(slam_truth$h2_total, 2)
#' round(cov2cor(slam_truth$G), 2)
#' @name slam_truth
#' @docType data
#' @usage data(slam_truth)
#' @keywords datasets
NULL
