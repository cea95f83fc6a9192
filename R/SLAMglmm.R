#' Fit a Bayesian sparse-factor linear mixed model to many traits
#'
#' `SLAMglmm()` fits the multi-trait mixed model
#' \deqn{H = X B + F \Lambda' + Z U_R + E, \qquad F = X_F B_F + Z U_F + E_F}{H = X B + F Lambda' + Z U_R + E,   F = X_F B_F + Z U_F + E_F}
#' by Markov chain Monte Carlo (a blocked, collapsed Gibbs sampler written in
#' Rust). The `p` traits (columns of the response) are explained by `k` latent
#' factors `F` with sparse loadings `Lambda` plus trait-specific effects; the
#' random-effect term (e.g. additive genetic values with a kinship matrix) acts
#' on both the traits and the factors, so the genetic and residual covariance
#' matrices among traits are
#' \deqn{G = \Lambda\, diag(h2F)\, \Lambda' + diag(h2 \psi), \quad R = \Lambda\, diag(1 - h2F)\, \Lambda' + diag((1 - h2) \psi).}{G = Lambda diag(h2F) Lambda' + diag(h2 psi),   R = Lambda diag(1 - h2F) Lambda' + diag((1 - h2) psi).}
#' The response may contain missing values (NA); they are imputed inside the
#' sampler, and rows in which every trait is missing still get predictions.
#'
#' @section Formula:
#' The formula uses lme4's syntax (read with lme4's own helpers). The left-hand
#' side is either a numeric matrix (looked up in `data`, then in the formula's
#' environment; its column names are the trait names, by default `y1`, ...,
#' `yp`), a numeric vector (one trait), or `cbind(y1, y2, ...)` of columns of
#' `data`. The right-hand side holds fixed effects and at most one random
#' intercept term `(1 | g)`; random slopes and several random terms are not
#' supported yet. Missing values are allowed in the response only.
#'
#' @section Relationship matrices:
#' `relmat` is matched to the random-effect term by the name of its grouping
#' factor (`relmat = list(animal = A)` for `(1 | animal)`), never by position.
#' The row names of the matrix are the level ids; they must include every level
#' present in the data, and may include more: levels in the matrix but not in
#' the data are kept (their genetic values are predicted through the matrix).
#' The random effect's levels are then in the order of the matrix's rows.
#' Without an entry in `relmat`, the levels are independent (identity matrix)
#' and are those present in the data. Positive semi-definiteness is checked in
#' full (Cholesky, then eigenvalues) for matrices of up to 2500 levels; larger
#' ones only get a quick necessary check (no off-diagonal element larger than
#' the geometric mean of its two diagonal elements).
#'
#' @section Scale:
#' Each trait is centred by its observed mean (only when the model has an
#' intercept) and divided by its observed standard deviation before sampling;
#' the priors ([slam_prior()]) are on that standardised scale. Every saved draw
#' is transformed back to the data scale: `B` (the intercept row gets the mean
#' back), `Lambda`, `psi`, `U_mean` and `H_mean` are on the data scale, while
#' `h2`, `h2F`, `h2_total`, `BF` and `delta` are scale-free and the shared
#' fixed-effect variances `sigma2_b` stay on the standardised scale. The centres
#' and scales are stored in `data_scale`.
#'
#' @param formula A two-sided formula, e.g. `Y ~ sex + (1 | animal)`; see the
#'   Formula section.
#' @param data A data frame with the variables of the formula, or `NULL` to take
#'   them from the formula's environment.
#' @param relmat A named list of relationship (covariance) matrices among the
#'   levels of the grouping factors: dense numeric matrices or `Matrix` objects,
#'   square, symmetric and positive semi-definite, with the level ids as row
#'   names; see the Relationship matrices section.
#' @param factor_formula `NULL` (default: the fixed-effect covariates of
#'   `formula`) or a one-sided formula of fixed effects on the latent factors,
#'   e.g. `~ sex`. The factors never have an intercept; random-effect terms are
#'   not yet supported here.
#' @param n_factors Number of latent factors `k` (a whole number >= 0).
#'   `n_factors = 0` fits independent univariate mixed models, one per trait.
#' @param prior The prior: the result of [slam_prior()] or a list with the same
#'   structure (`list(R = list(V = 1, nu = 3), h2 = list(divisions = 20), ...)`),
#'   elements left out taking their defaults.
#' @param nitt,burnin,thin Total number of iterations, number of burn-in
#'   iterations, and thinning interval, as in MCMCglmm: draws are saved at
#'   iterations `burnin + thin`, `burnin + 2 thin`, ..., up to `nitt`. Requires
#'   `nitt > burnin >= 0`, `thin >= 1` and at least one saved draw.
#' @param threads Number of threads. `NULL` (default) uses at most 2 (and no
#'   more than the cores of the machine or the environment variable
#'   `OMP_THREAD_LIMIT`). The draws do not depend on the number of threads.
#' @param verbose `TRUE` shows a progress bar.
#'
#' @return An object of class `"SLAMglmm"`, a list with
#' \describe{
#'   \item{`call`, `formula`, `factor_formula`}{the call and the formulas used
#'     (`factor_formula` is the fixed-effect formula of the factors).}
#'   \item{`traits`}{trait names (length `p`).}
#'   \item{`n`}{number of rows (individuals).}
#'   \item{`fixed`, `fixed_F`}{column names of `X` and of `X_F`.}
#'   \item{`terms`}{names of the grouping factors of the random-effect terms
#'     (length 0 or 1).}
#'   \item{`levels`}{named list: for each term, the level ids in the order of
#'     the columns of `Z` (and of `U_mean`).}
#'   \item{`relmat_given`}{named logical: whether a relationship matrix was
#'     given for each term.}
#'   \item{`data_scale`}{list of the named numeric vectors `center` and `scale`
#'     used to standardise the traits.}
#'   \item{`draws`}{posterior draws (last dimension = draw), on the data scale:
#'     `Lambda` (p x k x T), `B` (b x p x T), `BF` (bF x k x T), `psi` (p x T),
#'     `h2` (p x T), `h2F` (k x T), `h2_total` (p x T, the heritability of each
#'     trait including the factors), `sigma2_b` (b x T, on the standardised
#'     scale; NA for the unpenalised intercept), `delta` (k x T).}
#'   \item{`U_mean`}{named list: for each term, the levels x p matrix of
#'     posterior means of the genetic values `U = U_R + U_F Lambda'`.}
#'   \item{`F_mean`}{n x k posterior means of the factor scores.}
#'   \item{`H_mean`}{n x p posterior means of the latent traits (fitted
#'     values and imputed missing values), data scale.}
#'   \item{`Y`}{the response (n x p, with its NA).}
#'   \item{`n_factors`}{the number of factors `k` of the saved draws.}
#'   \item{`prior`}{the `slam_prior` used, with `h2_grid` the grid actually
#'     used (just 0 when there is no random-effect term).}
#'   \item{`mcmc`}{list with `nitt`, `burnin`, `thin`, `iterations` (completed),
#'     `n_saved`, `interrupted`, `threads` and `seed` (the two numbers drawn from
#'     R's random number generator that seed the sampler, so `set.seed()` fixes
#'     every draw).}
#' }
#' If the run is interrupted (Ctrl-C), a warning is given and the draws saved
#' so far are returned.
#'
#' @references
#' Runcie, D. E. and Mukherjee, S. (2013). Dissecting high-dimensional phenotypes
#' with Bayesian sparse factor analysis of genetic covariance matrices.
#' Genetics 194, 753-767.
#'
#' Bhattacharya, A. and Dunson, D. B. (2011). Sparse Bayesian infinite factor
#' models. Biometrika 98, 291-306.
#'
#' @seealso [slam_prior()]
#' @examples
#' \donttest{
#' data(slam_pheno, slam_kinship)
#' set.seed(1)
#' fit <- SLAMglmm(cbind(y1, y2, y3, y4, y5, y6, y7, y8) ~ sex + (1 | animal),
#'                 data = slam_pheno, relmat = list(animal = slam_kinship),
#'                 n_factors = 4, nitt = 600, burnin = 200, thin = 2, verbose = FALSE)
#' # posterior means of the trait-specific h2 and of the total heritabilities
#' rowMeans(fit$draws$h2)
#' rowMeans(fit$draws$h2_total)
#' # the response can also be a matrix in the calling environment
#' Y <- as.matrix(slam_pheno[paste0("y", 1:8)])
#' fit2 <- SLAMglmm(Y ~ sex + (1 | animal), data = slam_pheno,
#'                  relmat = list(animal = slam_kinship), n_factors = 4,
#'                  nitt = 300, burnin = 100, thin = 2, verbose = FALSE)
#' }
#' # one trait, independent groups, no factors
#' set.seed(2)
#' d <- data.frame(g = factor(rep(1:30, each = 4)))
#' d$y <- rnorm(30)[d$g] + rnorm(120)
#' fit1 <- SLAMglmm(y ~ 1 + (1 | g), data = d, n_factors = 0,
#'                  nitt = 400, burnin = 100, thin = 2, verbose = FALSE)
#' mean(fit1$draws$h2)
#' @export
SLAMglmm <- function(formula, data = NULL, relmat = list(), factor_formula = NULL,
                     n_factors = 10, prior = slam_prior(), nitt = 6000, burnin = 1000,
                     thin = 5, threads = NULL, verbose = TRUE) {
  call <- match.call()
  built <- slam_build_input(formula, data = data, relmat = relmat,
                            factor_formula = factor_formula, n_factors = n_factors,
                            prior = prior, nitt = nitt, burnin = burnin, thin = thin,
                            threads = threads, verbose = verbose)
  raw <- slam_sample_rust(built$input)
  slam_assemble_fit(built$info, raw, call = call)
}
