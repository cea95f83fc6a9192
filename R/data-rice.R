#' Rice diversity panel: binary, ordinal and continuous traits
#'
#' Ten traits of 413 inbred accessions of the rice diversity panel of Zhao et
#' al. (2011), with 100 genotyped markers in [rice_markers]: three binary
#' traits, two ordinal scores and five continuous traits. It is the example of
#' the vignette `vignette("non-gaussian", package = "SLAMglmm")`, a model that
#' mixes probit, ordinal and Gaussian traits with a genomic relationship
#' matrix.
#'
#' @format A data frame with 413 rows (one per accession) and 11 columns:
#' \describe{
#'   \item{accession}{factor, the accession id (the row names of [rice_markers]).}
#'   \item{awn}{integer 0/1, awns present.}
#'   \item{pubescence}{integer 0/1, leaf pubescence present.}
#'   \item{pericarp}{integer 0/1, coloured pericarp.}
#'   \item{culm}{ordered factor, culm habit (the 1-9 score averaged over
#'     plants, grouped as erect (<= 3), intermediate (3-5], open (5-7],
#'     spreading (> 7)).}
#'   \item{blast}{ordered factor, blast resistance (the 1-9 score grouped as
#'     resistant 1-3, intermediate 4-6, susceptible 7-9).}
#'   \item{height}{plant height (cm).}
#'   \item{panicle_length}{panicle length (cm).}
#'   \item{flowering}{days to flowering at Arkansas.}
#'   \item{seed_length}{seed length (mm).}
#'   \item{amylose}{amylose content of the grain (%).}
#' }
#' Most traits have missing values (NA), from none to 125 accessions per trait.
#'
#' @section Licence:
#' Redistributed from the sommer R package (G. Covarrubias-Pazaran), licensed
#' GPL-2 | GPL-3, under the same terms. Please cite Zhao et al. (2011).
#' `data-raw/rice.R` in the package sources shows how the tables were made.
#'
#' @references
#' Zhao, K., Tung, C.-W., Eizenga, G. C. et al. (2011). Genome-wide association
#' mapping reveals a rich genetic architecture of complex traits in *Oryza
#' sativa*. Nature Communications 2, 467.
#' @seealso [rice_markers]
#' @examples
#' data(rice)
#' table(rice$culm)
#' @keywords datasets
"rice"

#' Markers of the rice diversity panel
#'
#' Genotypes of the 413 accessions of [rice] at 100 SNP markers, coded as the
#' number of copies of the minor allele (0 or 2: the accessions are inbred
#' lines); 3% of the calls are missing (NA).
#'
#' @format A 413 x 100 numeric matrix; row names are the accession ids of
#'   [rice], column names the marker ids.
#' @section Licence: As for [rice].
#' @examples
#' data(rice_markers)
#' # a genomic relationship matrix (VanRaden 2008), missing calls set to the mean
#' M <- apply(rice_markers, 2, function(x) { x[is.na(x)] <- mean(x, na.rm = TRUE); x })
#' p <- colMeans(M) / 2
#' W <- sweep(M, 2, 2 * p)
#' K <- tcrossprod(W) / (2 * sum(p * (1 - p)))
#' range(diag(K))
#' @keywords datasets
"rice_markers"
