#' Blue tit nestlings of a cross-fostering experiment
#'
#' Two standardised traits of 828 blue tit (*Cyanistes caeruleus*) nestlings
#' from 106 broods, part of each brood having been moved to another nest soon
#' after hatching (cross-fostering). Genetic mother (`dam`) and rearing nest
#' (`fosternest`) are therefore partly separated, so that the resemblance of
#' relatives due to their origin (genes and the mother's pre-hatching
#' contribution) and that due to the rearing environment can be told apart.
#' Additive genetic and maternal variances are not separated by these data
#' alone (full-sib families, parents without records; see the vignette).
#' Together with the pedigree [BTped] it is the
#' example of the vignette `vignette("animal-model", package = "SLAMglmm")`,
#' an animal model with three random-effect terms.
#'
#' @format A data frame with 828 rows (one per nestling) and 7 columns:
#' \describe{
#'   \item{tarsus}{numeric, tarsus length, standardised to mean 0 and variance 1.}
#'   \item{back}{numeric, a colour measurement of the back plumage,
#'     standardised to mean 0 and variance 1.}
#'   \item{animal}{factor with 828 levels, the nestling's id; every bird is a
#'     row of the pedigree [BTped] (column `animal`).}
#'   \item{dam}{factor with 106 levels, the genetic mother (also a row of
#'     [BTped], without a record of her own): 106 full-sib families.}
#'   \item{fosternest}{factor with 104 levels, the nest in which the nestling
#'     was reared.}
#'   \item{hatchdate}{numeric, the hatching date of the nestling's brood
#'     (the same for all the offspring of a dam), standardised to mean 0 and
#'     variance 1.}
#'   \item{sex}{factor with levels `"Fem"`, `"Male"` and `"UNK"` (sex not
#'     known).}
#' }
#' No value is missing.
#'
#' @section Licence:
#' These data are redistributed from the MCMCglmm R package (J. D. Hadfield),
#' which is licensed GPL-2 | GPL-3, and are redistributed here under the same
#' terms: the data sets `BTdata` and `BTped` are covered by the GNU General
#' Public License, version 2 or 3, not by SLAMglmm's own (MIT) licence, which
#' applies to the package's code. Please cite Hadfield et al. (2007) when you
#' use them.
#'
#' @source Hadfield, J. D., Nutall, A., Osorio, D. and Owens, I. P. F. (2007).
#'   Testing the phenotypic gambit: phenotypic, genetic and environmental
#'   correlations of colour. *Journal of Evolutionary Biology* 20, 549-557.
#'   As distributed with the MCMCglmm R package (Hadfield 2010, *Journal of
#'   Statistical Software* 33(2); licence GPL-2 | GPL-3). The script
#'   `data-raw/bluetits.R` of the package sources makes the `.rda` files from
#'   CSV exports of those data sets (empty strings read as `NA`, grouping
#'   variables and sex as factors).
#' @seealso [BTped], [pedigree_A()], [SLAMglmm()]
#' @examples
#' data(BTdata)
#' str(BTdata)
#' table(BTdata$sex)
#' # broods are split between nests: nests per genetic mother
#' table(rowSums(table(BTdata$dam, BTdata$fosternest) > 0))
#' cor(BTdata$tarsus, BTdata$back)
#' @name BTdata
#' @docType data
#' @usage data(BTdata)
#' @keywords datasets
NULL

#' Pedigree of the blue tits in BTdata
#'
#' The pedigree of the 828 nestlings of [BTdata] and of their parents: 212
#' parents (106 dams and 106 sires, the founders, assumed unrelated and not
#' inbred) and 828 offspring in 106 full-sib families. It has the layout
#' taken by [pedigree_A()] and by `SLAMglmm(relmat = list(animal = BTped))`.
#'
#' @format A data frame with 1040 rows and 3 character columns:
#' \describe{
#'   \item{animal}{the bird's id (unique); the levels of `BTdata$animal` and
#'     of `BTdata$dam` are among them.}
#'   \item{dam}{the id of its mother, `NA` when unknown (the 212 founders).}
#'   \item{sire}{the id of its father, `NA` when unknown (the 212 founders).}
#' }
#' Parents come before their offspring (the first 212 rows are the founders).
#'
#' @inheritSection BTdata Licence
#' @source Hadfield, J. D., Nutall, A., Osorio, D. and Owens, I. P. F. (2007).
#'   Testing the phenotypic gambit: phenotypic, genetic and environmental
#'   correlations of colour. *Journal of Evolutionary Biology* 20, 549-557.
#'   As distributed with the MCMCglmm R package (licence GPL-2 | GPL-3); made
#'   by `data-raw/bluetits.R` in the package sources.
#' @seealso [BTdata], [pedigree_A()]
#' @examples
#' data(BTped)
#' head(BTped)
#' colSums(is.na(BTped))
#' # additive relationships: full sibs and parent-offspring pairs share 1/2
#' A <- pedigree_A(BTped)
#' table(A[lower.tri(A)])
#' range(pedigree_inbreeding(BTped))
#' @name BTped
#' @docType data
#' @usage data(BTped)
#' @keywords datasets
NULL
