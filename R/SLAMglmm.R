#' Fit a Bayesian sparse-factor linear mixed model to many traits
#'
#' `SLAMglmm()` fits the multi-trait mixed model
#' \deqn{H = X B + F \Lambda' + \sum_m Z_m U^R_m + E, \qquad F = X_F B_F + \sum_m Z_m U^F_m + E_F}{H = X B + F Lambda' + sum_m Z_m U_Rm + E,   F = X_F B_F + sum_m Z_m U_Fm + E_F}
#' by Markov chain Monte Carlo (a blocked, collapsed Gibbs sampler written in
#' Rust). The `p` traits (columns of the response) are explained by `k` latent
#' factors `F` with sparse loadings `Lambda` plus trait-specific effects; each
#' random-effect term `m` (e.g. additive genetic values with a kinship matrix,
#' a dam or a nest effect) acts on the traits and, when it is in the factor
#' formula, on the factors. The covariance matrices among traits of term `m`
#' and of the residual are
#' \deqn{G_m = \Lambda\, diag(h2F_m)\, \Lambda' + diag(h2_m \psi), \quad R = \Lambda\, diag(1 - \sum_m h2F_m)\, \Lambda' + diag((1 - \sum_m h2_m) \psi),}{G_m = Lambda diag(h2F_m) Lambda' + diag(h2_m psi),   R = Lambda diag(1 - sum_m h2F_m) Lambda' + diag((1 - sum_m h2_m) psi),}
#' where `h2_m` (per trait) and `h2F_m` (per factor) are the shares of the
#' trait-specific and factor variances due to term `m`, on a simplex grid
#' (see [slam_prior()]). The response may contain missing values (NA); they
#' are imputed inside the sampler, and rows in which every trait is missing
#' still get predictions.
#'
#' @section Formula:
#' The formula uses lme4's syntax (read with lme4's own helpers). The left-hand
#' side is either a numeric matrix (looked up in `data`, then in the formula's
#' environment; its column names are the trait names, by default `y1`, ...,
#' `yp`), a numeric vector (one trait), or `cbind(y1, y2, ...)` of columns of
#' `data`. The right-hand side holds fixed effects and any number of random
#' intercept terms `(1 | g)`, e.g. `~ sex + (1 | animal) + (1 | dam)`; random
#' slopes are not supported, and each grouping factor may appear once.
#' Results are reported per term, in formula order, named by the grouping
#' factor. Missing values are allowed in the response only.
#'
#' The factor formula (`factor_formula`) says which fixed covariates and which
#' random-effect terms act on the latent factors. By default the factors get
#' every random-effect term of `formula` and its fixed covariates (without
#' intercept). A user formula such as `~ sex + (1 | animal)` gives the factors
#' only those; every random-effect term of the factor formula must also be a
#' term of `formula`. A term that is not in the factor formula acts on the
#' traits only (its `h2F` is 0).
#'
#' @section Relationship matrices:
#' `relmat` is matched to the random-effect terms by the name of their grouping
#' factor (`relmat = list(animal = A)` for `(1 | animal)`), never by position;
#' terms without an entry have independent levels (identity matrix), and are
#' those present in the data. Each entry is one of
#' * a dense numeric matrix or a `Matrix` object (dense or sparse), square,
#'   symmetric and positive semi-definite, with the level ids as row names. It
#'   may be singular (e.g. a genomic relationship matrix from fewer markers than
#'   individuals, or duplicated individuals): that is accepted. A matrix that
#'   is not symmetric positive semi-definite is an error naming
#'   `relmat$<term>`.
#' * a pedigree: a data frame with columns id, dam and sire (see
#'   [pedigree_A()] for the format; unknown parents are `NA` or `0`; parents
#'   need not have rows of their own). It is turned into the additive
#'   relationship matrix of all individuals of the pedigree, so ancestors
#'   without records get predicted genetic values in [ranef()].
#'
#' The row names (pedigree ids) must include every level present in the data,
#' and may include more: levels in the matrix but not in the data are kept
#' (their genetic values are predicted through the matrix), and the term's
#' levels are then in the order of the matrix's rows. Positive
#' semi-definiteness is checked in full (Cholesky, then eigenvalues) for
#' matrices of up to 2500 levels; larger ones only get a quick necessary check
#' (no off-diagonal element larger than the geometric mean of its two diagonal
#' elements).
#'
#' @section Several random-effect terms:
#' The sampler integrates the term with the most levels out by one rotation
#' (its eigendecomposition); the further terms are handled by factorisations
#' that depend on the grid point of the variance shares. With M terms and d
#' divisions the grid has `G = choose(d - 1 + M, M)` points. `grid_route`
#' chooses how the shares move: `"full"` evaluates every grid point each
#' iteration (an exact Gibbs draw; the factorisation of every grid point is
#' cached, needing about `G * r_e^2 * 8` bytes where `r_e` is the total number
#' of levels of the further terms); `"metropolis"` makes Metropolis moves to
#' neighbouring grid points (only the points visited are cached); `"auto"`
#' takes the full grid when G <= 64 and Metropolis moves otherwise. Both
#' routes have the same posterior. `memory_mb` bounds the cache: beyond it,
#' factorisations are recomputed when needed (slower, not wrong). With
#' `verbose = TRUE` the route, G, M, `r_e` and the memory estimate are
#' printed.
#'
#' @section Number of factors:
#' With more than 10 traits the default is `adapt = TRUE`, and `n_factors`
#' (default `min(10, p)`) is a starting value: during
#' burn-in only, the rule of Bhattacharya and Dunson (2011) drops factors whose
#' loadings are all negligible (below `adapt_epsilon` in absolute value on the
#' standardised scale, judged on a moving average of the loadings) and adds a
#' factor when none is negligible, up to `max_factors`; the adaptation
#' probability decays with the iteration. Factors are also re-ordered by size
#' during burn-in. The saved chain therefore has a fixed number of factors and
#' is a plain Gibbs chain. The number of factors at each burn-in iteration is
#' kept in `fit$mcmc$k_trace` and summarised by `print()` and `summary()`.
#' With `adapt = FALSE`, or `n_factors = 0` (independent univariate mixed
#' models), the number of factors stays fixed.
#'
#' Few traits (at most 10, `n_factors` not given): the model has `(M + 1) p`
#' factors for the `M` random-effect terms that act on the factors (all, or
#' those of `factor_formula`) and keeps them all, enough for an
#' unstructured covariance matrix of every such term and of the residual (as
#' MCMCglmm's `us()` structures; the shrinkage prior still shrinks factors the
#' data do not need), and the traits' own variances `psi` have no share of
#' those terms (unless `prior$h2$trait` is given non-uniform; a term left out
#' of `factor_formula` stays the traits' own), so that every such term's
#' variance comes through the factors together with its covariances; a
#' trait's own share of a term would otherwise take that term's variance
#' without covariance and shrink its correlations toward 0. The adaptive rule would often keep a single factor for
#' two traits, which forces the covariances of every term to share one
#' pattern of signs (e.g. a positive genetic and a negative residual
#' correlation could not both be fitted). With at most 50 traits each
#' factor's variance proportions also move with its scores integrated out
#' (`collapse_factors`).
#'
#' @section Observation models:
#' Each trait has a family, which links its observations `y_ij` to the latent
#' trait `h_ij` that the factor mixed model describes (the design's
#' `y_i ~ g(eta_i)`); traits of different families sit in one model and share
#' the factors. Every family allows missing values.
#' * `"gaussian"`: `y = h` (with `weights`: `y = h + e`, `e ~ N(0, 1/w)`).
#' * `"probit"` (0/1, TRUE/FALSE or a two-level factor; also
#'   `binomial(link = "probit")`): `y = 1(h + offset > 0)`. The trait's
#'   `psi_j` is fixed at 1 (as MCMCglmm fixes the residual variance of
#'   threshold traits), so its `h2`, `G` and `R` are on the liability scale.
#' * `"ordinal"` (an ordered factor, or whole numbers): classes `1..C` with
#'   cut-points `0 = g_1 < g_2 < ... < g_{C-1}` on the liability scale (the
#'   first is fixed at 0 because the intercept is estimated); `psi_j = 1`.
#'   The free cut-points are in `fit$draws$family` and [fixef.SLAMglmm()].
#' * `"negbin"` ([slam_negbin()]): counts, `y ~ NB(mean exp(h + offset),
#'   size r_j)`, one size per trait, prior [slam_prior()]`$negbin`.
#' * `"poisson"` ([slam_poisson()]): counts, `y ~ Poisson(exp(h + offset))`;
#'   the model's residual in `h` makes it Poisson-lognormal.
#' Offsets: an `offset()` term in the formula (every trait) and the `offset`
#'   of a family constructor (its traits), e.g.
#'   `slam_negbin(offset = log(library_size))`.
#' The sampler draws each latent trait by data augmentation (truncated normals
#' for probit and ordinal traits, with Cowles' Metropolis-Hastings move of the
#' cut-points and a scale move of each such trait's liability scale
#' (parameter expansion, Liu and Wu 1999); Polya-Gamma weights for negative binomial counts with a
#' Metropolis step on the log size; an independence Metropolis-Hastings step
#' per entry for Poisson counts); `fit$acceptance` has the acceptance rates of
#' the Metropolis steps after burn-in.
#'
#' @section Scale:
#' Each Gaussian trait is centred by its observed mean (only when the model has
#' an intercept) and divided by its observed standard deviation before sampling
#' (traits of other families keep their latent scale: liability or log);
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
#'   levels of the grouping factors, or pedigrees: dense numeric matrices or
#'   `Matrix` objects (square, symmetric, positive semi-definite, possibly
#'   singular, with the level ids as row names), or pedigree data frames (id,
#'   dam, sire); see the Relationship matrices section.
#' @param factor_formula `NULL` (default: the fixed-effect covariates and all
#'   the random-effect terms of `formula`) or a one-sided formula of the
#'   factors' fixed effects and random-effect terms, e.g.
#'   `~ sex + (1 | animal)`. The factors never have an intercept; their
#'   random-effect terms must be terms of `formula`.
#' @param family The observation model of each trait (see the section
#'   Observation models): `NULL` (every trait Gaussian), one family for all
#'   traits (`"probit"`, `"ordinal"`, `"negbin"`, `"poisson"`, `"gaussian"`, a
#'   constructor such as [slam_negbin()], or `binomial(link = "probit")`,
#'   `poisson()`, `gaussian()`), or a named list or character vector giving
#'   the family of some traits, e.g. `list(awn = "probit", culm = "ordinal")`
#'   (the others are Gaussian).
#' @param weights Known precision weights of Gaussian observations (e.g. voom
#'   weights, or inverse squared standard errors of line means): `NULL`, a
#'   vector with one weight per row (every Gaussian trait), or a matrix with
#'   one row per row of the data and one column per trait (or columns named by
#'   some Gaussian traits). The model is `y_ij = h_ij + e_ij`,
#'   `e_ij ~ N(0, 1 / w_ij)`, on top of the model's own residual.
#' @param n_factors Number of latent factors `k` (a whole number >= 0); with
#'   `adapt = TRUE` the starting number. `NULL` (default): with at most 10
#'   traits, `(M + 1) p` factors for `p` traits and `M` random-effect terms
#'   acting on the factors,
#'   kept (not adapted), which is enough for an unstructured covariance matrix
#'   of every term and of the residual, as MCMCglmm's `us()` structures; with
#'   more traits, `min(10, p)` factors to start, adapted.
#'   `n_factors = 0` fits independent univariate mixed models, one per trait
#'   (no adaptation).
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
#' @param verbose `TRUE` shows a progress bar and, with several random-effect
#'   terms, the grid route and its memory estimate, and with `adapt = TRUE`
#'   the number of factors at the start and end of burn-in.
#' @param grid_route `"auto"` (default), `"full"` or `"metropolis"`: how the
#'   variance shares move on the grid with two or more random-effect terms;
#'   see the section Several random-effect terms. Not used with one term.
#' @param memory_mb Memory budget in MiB (default 1024) for the cached
#'   per-grid-point factorisations with several random-effect terms.
#' @param adapt `TRUE`: adapt the number of factors during burn-in; `FALSE`:
#'   keep `n_factors` factors. `NULL` (default): adapt, except with at most 10
#'   traits and `n_factors = NULL` (see `n_factors`). See the section Number
#'   of factors.
#' @param max_factors Largest number of factors when adapting; `NULL`
#'   (default) gives `max(2 * n_factors, n_factors + 5)`, at most the number of
#'   traits (but never fewer than `n_factors` or 1).
#' @param adapt_epsilon Threshold (> 0, default 0.15, standardised scale)
#'   below which all loadings of a factor count as negligible when adapting.
#'
#' @param chains Number of independent chains (default 1). Each chain has its
#'   own seed, drawn from R's generator before any chain starts, so
#'   `set.seed()` fixes every chain's draws whatever the backend. Several
#'   chains run through the future framework: set `future::plan()` first
#'   (e.g. `future::plan(future::multisession, workers = 4)`, or a
#'   future.batchtools plan on a cluster); the default plan runs them one after
#'   the other. See the section Several chains.
#'
#' @param checkpoint `NULL` (default) or the path of a directory in which the
#'   run saves itself while it samples: the model (once) and each chain's
#'   state with its draws so far (every `checkpoint_every`, when interrupted,
#'   and at the end), each file replaced atomically. After a crash or a killed
#'   job, [SLAMglmm_resume()] continues from there; calling `SLAMglmm()` again
#'   with the same model and directory does the same, while a directory that
#'   holds another model is refused. See the section Long runs.
#' @param checkpoint_every How often to save: seconds (a number, default 600,
#'   or `c(seconds = 600)`) or iterations (`c(iterations = 500)`).
#'
#' @param draws `NULL` (default: draws in memory) or the path of a new
#'   directory to which the saved draws are streamed while sampling, in chunks,
#'   so that memory does not grow with the number of draws: a Zarr (version 2)
#'   group with one group per chain (`chain-1/`, ...) and one array per saved
#'   quantity (`Lambda`, `B`, `BF`, `psi`, `h2`, `h2F`, `h2_total`,
#'   `sigma2_b`, `delta`, `family`), draw first, on the sampler's standardised
#'   scale (the group's `.zattrs` has the trait names and the centres and
#'   scales). Python's zarr and xarray, Rust's zarrs and R's Rarr read it. The
#'   fit then reads every quantity but the loadings into memory and keeps the
#'   loadings (p x k per draw) on disk, read by chunks when a summary needs
#'   them.
#' @param save_draws Which quantities each saved draw keeps: `NULL` (default:
#'   all of `Lambda`, `B`, `BF`, `psi`, `h2`, `h2F`, `h2_total`, `sigma2_b`,
#'   `delta`, `family`; none of them grows with p x p) or a character vector of
#'   those names (`psi` is always kept). Leaving out `Lambda` (p x k per draw)
#'   saves most memory and disk at large p; summaries that need a quantity that
#'   was not saved (e.g. [VarCorr()] needs `Lambda`, `h2`, `h2F` and `psi`)
#'   stop with an error of class `slamglmm_not_saved`. Posterior means of
#'   genetic values, scores, fitted values and linear predictors are kept in
#'   every case (running means).
#' @param collapse_factors Also draw each factor's variance proportions with
#'   its scores integrated out, then its scores (a partially collapsed Gibbs
#'   step that mixes much faster when the traits are few): `NULL` (default)
#'   does so with at most 50 traits, `TRUE` / `FALSE` always / never. With
#'   further random-effect terms in `factor_formula` the proportions are drawn
#'   a second time with the factor's effects of those terms standardised
#'   (ancillarity-sufficiency interweaving), which moves the factors' shares
#'   of those terms faster; and each pair of factors is rotated by an angle
#'   drawn from its conditional (the likelihood depends on the factors only
#'   through `F Lambda'`), so that a trait's variance does not drift slowly
#'   from one factor to another. It costs one more pass over the n x p
#'   residuals per iteration, and O(n + p) per pair of factors.
#' @param draws_chunk Draws per chunk on disk (`NULL`: about 64 MB of
#'   loadings, at most 100 draws).
#'
#' @section Long runs:
#' A chain's state (every sampled quantity, the adaptation state and the
#' iteration; the sampler's random numbers are a function of the seed and the
#' iteration) is kept in the fit (`mcmc$per_chain[[c]]$state`, about n x p
#' numbers per chain) or, with `checkpoint`, only on disk. `update(fit, nitt = N)` continues every chain to
#' iteration N and `SLAMglmm_resume(dir)` continues an interrupted run; both
#' give exactly the draws of one uninterrupted run with the same seed. Each
#' checkpoint writes the chain's draws so far, so its cost grows with the
#' number of saved draws; save less often for runs that keep many draws of
#' many traits.
#'
#' @section Several chains:
#' With `chains = C` the draws of the chains are stacked along the draw
#' dimension of `draws` (chain 1 first) and `mcmc$chain` gives each draw's
#' chain, so every extractor pools the chains, while [slam_diagnostics()],
#' [summary.SLAMglmm()] (R-hat and effective sample sizes from the posterior
#' package), `posterior::as_draws_array()`, [as.mcmc.list.SLAMglmm()] and the
#' trace plot keep them apart. With `adapt = TRUE` chains may end burn-in with
#' different numbers of factors; the factor dimensions are padded to the
#' largest with factors that have no loadings (zero `Lambda`, `BF` and `h2F`,
#' NA `delta`), which changes no covariance. Factors are identified only up to
#' order and sign, so factor-level quantities do not correspond between chains;
#' convergence is judged on identified quantities (fixed effects,
#' heritabilities, variances, family parameters). Posterior means (`U_mean`,
#' `H_mean`, fitted values) are averaged over chains; `F_mean` is chain 1's,
#' and each chain's own settings, seed, number of factors and `F_mean` are in
#' `mcmc$per_chain`. Progress of parallel chains is reported through the
#' progressr package when `verbose = TRUE`.
#'
#' @return An object of class `"SLAMglmm"`, a list with
#' \describe{
#'   \item{`call`, `formula`, `factor_formula`}{the call and the formulas used
#'     (`factor_formula` is the fixed-effect formula of the factors).}
#'   \item{`traits`}{trait names (length `p`).}
#'   \item{`n`}{number of rows (individuals).}
#'   \item{`fixed`, `fixed_F`}{column names of `X` and of `X_F`.}
#'   \item{`terms`}{names of the grouping factors of the random-effect terms,
#'     in formula order (length M >= 0).}
#'   \item{`factor_terms`}{the terms that act on the factors.}
#'   \item{`levels`}{named list: for each term, the level ids in the order of
#'     the columns of `Z` (and of `U_mean`).}
#'   \item{`relmat_given`}{named logical: whether a relationship matrix (or
#'     pedigree) was given for each term.}
#'   \item{`data_scale`}{list of the named numeric vectors `center` and `scale`
#'     used to standardise the traits.}
#'   \item{`draws`}{posterior draws (last dimension = draw), on the data scale:
#'     `Lambda` (p x k x T), `B` (b x p x T), `BF` (bF x k x T), `psi` (p x T),
#'     `h2` (trait-specific share of `psi` due to each term), `h2F` (share of
#'     each factor's variance due to each term), `h2_total` (`diag(G_m) /
#'     diag(P)`, the heritability of each trait including the factors),
#'     `sigma2_b` (b x T, on the standardised scale; NA for the unpenalised
#'     intercept), `delta` (k x T). With at most one random-effect term `h2`
#'     and `h2_total` are p x T and `h2F` k x T; with M >= 2 terms they are
#'     p x M x T and k x M x T, the middle dimension named by the terms in
#'     formula order. Use [h2()] and [slam_draws()] for a uniform access.}
#'   \item{`U_mean`}{named list: for each term (formula order), the levels x
#'     p matrix of posterior means of the genetic values
#'     `U_m = U^R_m + U^F_m Lambda'`.}
#'   \item{`F_mean`}{n x k posterior means of the factor scores.}
#'   \item{`H_mean`}{n x p posterior means of the latent traits (fitted
#'     values and imputed missing values), data scale.}
#'   \item{`mu_mean`, `mu_sd`}{posterior mean and sd of the linear
#'     predictor (fixed effects, factors and every random effect, without the
#'     trait's own residual), one column per trait with a missing value or a
#'     non-Gaussian family (n x L, `NULL` when there is none), data scale; see
#'     [predict.SLAMglmm()].}
#'   \item{`Y`}{the response (n x p, with its NA).}
#'   \item{`X`}{the fixed-effect design matrix of the traits (n x b).}
#'   \item{`row_levels`}{per random-effect term, the index (into `levels`) of
#'     each row's level.}
#'   \item{`n_factors`}{the number of factors `k` of the saved draws.}
#'   \item{`prior`}{the `slam_prior` used, with `h2_grid` the grid actually
#'     used (just 0 when there is no random-effect term; a G x M matrix with M
#'     >= 2 terms) and `h2$trait`, `h2$factor` the normalised weights of its
#'     points (the factors' weights are 0 where a term not in the factor formula
#'     has a positive share).}
#'   \item{`mcmc`}{list with `nitt`, `burnin`, `thin`, `iterations` (completed),
#'     `n_saved`, `interrupted`, `threads`, `seed` (the two numbers drawn from
#'     R's random number generator that seed the sampler, so `set.seed()` fixes
#'     every draw), `adapt` (whether the number of factors was adapted),
#'     `k_start`, `k_max`, `k_trace` (the number of factors at each burn-in
#'     iteration; empty without adaptation) and `grid` (route, grid size `G`,
#'     number of terms `M`, `r_extra`, memory estimate and budget in MiB),
#'     `chains`, `chain` (the chain of each saved draw) and `per_chain` (per
#'     chain: seed, draws saved, iterations, number of factors, `k_trace`,
#'     acceptance rates and `F_mean`).}
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
#' @seealso [slam_prior()], [VarCorr.SLAMglmm()], [h2()], [ranef.SLAMglmm()],
#'   [pedigree_A()]
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
#' # two random-effect terms (an iid group and a batch), one trait
#' d$b <- factor(rep(1:8, length.out = 120))
#' d$y2 <- d$y + rnorm(8)[d$b]
#' fit2 <- SLAMglmm(y2 ~ 1 + (1 | g) + (1 | b), data = d, n_factors = 0,
#'                  nitt = 400, burnin = 100, thin = 2, verbose = FALSE)
#' VarCorr(fit2)
#' h2(fit2)
#' @export
SLAMglmm <- function(formula, data = NULL, relmat = list(), factor_formula = NULL,
                     family = NULL, weights = NULL,
                     n_factors = NULL, prior = slam_prior(), nitt = 6000, burnin = 1000,
                     thin = 5, threads = NULL, verbose = TRUE, grid_route = "auto",
                     memory_mb = 1024, adapt = NULL, max_factors = NULL, adapt_epsilon = 0.15,
                     chains = 1, checkpoint = NULL, checkpoint_every = 600, draws = NULL,
                     draws_chunk = NULL, save_draws = NULL, collapse_factors = NULL) {
  call <- match.call()
  chains <- check_chains(chains)
  checkpoint <- check_checkpoint(checkpoint)
  every <- check_checkpoint_every(checkpoint_every)
  draws <- check_draws_dir(draws)
  built <- slam_build_input(formula, data = data, relmat = relmat,
                            factor_formula = factor_formula, n_factors = n_factors,
                            prior = prior, nitt = nitt, burnin = burnin, thin = thin,
                            threads = threads, verbose = verbose, grid_route = grid_route,
                            memory_mb = memory_mb, adapt = adapt, max_factors = max_factors,
                            adapt_epsilon = adapt_epsilon, family = family, weights = weights,
                            chains = chains, save_draws = save_draws,
                            collapse_factors = collapse_factors)
  built$input$draws_dir <- draws
  built$input$draws_chunk <- slam_draws_chunk(draws_chunk, built)
  built$input$fingerprint <- slam_fingerprint(built$input)
  seeds <- built$info$mcmc$seeds
  resume <- NULL
  if (!is.null(checkpoint)) {
    ck <- slam_checkpoint_open(checkpoint, built, chains, seeds, every, call)
    if (ck$resumed && verbose) message("SLAMglmm: continuing the chains saved in ", checkpoint)
    seeds <- ck$seeds
    resume <- ck$resume
  }
  if (!is.null(draws)) {
    slam_draws_open(draws, built$info, resuming = !is.null(resume) && any(!vapply(resume, is.null, TRUE)))
  }
  fit <- slam_fit_chains(built, seeds, call, resume = resume, dir = checkpoint, every = every)
  if (verbose && isTRUE(fit$mcmc$adapt)) message("SLAMglmm: ", slam_factors_line(fit))
  fit
}
