# Convergence diagnostics and the posterior / coda conversions, chain by chain.
#
# R-hat and the bulk and tail effective sample sizes are those of the posterior
# package (Vehtari, Gelman, Simpson, Carpenter and Buerkner 2021), computed by
# it on the identified quantities of the model: factors are identified only up
# to order and sign, and chains may keep different numbers of them, so
# loadings and factor shares are left out by default.

#' What the diagnostics look at by default
#' @noRd
slam_identified_what <- c("fixef", "h2_total", "variances", "family")

#' The default quantities that a fit's saved draws allow (see `save_draws`)
#' @noRd
slam_identified <- function(fit) {
  saved <- slam_fit_saved(fit)
  cov_ok <- all(c("Lambda", "h2", "h2F") %in% saved)
  fixef_ok <- "B" %in% saved && (length(fit$fixed_F) == 0L || all(c("BF", "Lambda") %in% saved))
  c(if (fixef_ok) "fixef", if ("h2_total" %in% saved || cov_ok) "h2_total",
    if (cov_ok) "variances", if ("family" %in% saved) "family")
}

#' Per-draw variances of each covariance component: diag(G_m) and diag(R)
#'
#' `diag(Lambda diag(W) Lambda')_j + D_j = sum_h lambda_jh^2 W_h + D_j` per draw.
#' @return T x (p * (M + 1)) matrix with columns `var_<term>[trait]` and
#'   `var_Residual[trait]`.
#' @noRd
slam_variance_draws <- function(fit, nT = slam_n_draws(fit)) {
  comps <- slam_cov_components(fit)
  L <- fit$draws$Lambda
  traits <- slam_traits(fit)
  p <- length(traits)
  k <- slam_n_factors(fit)
  vs <- lapply(comps, function(cc) matrix(as.double(cc$D), p, nT))
  for (idx in if (k > 0L) slam_lambda_blocks(L) else list()) {
    L2 <- slam_lambda_block(L, idx)^2
    for (nm in names(comps)) {
      W <- comps[[nm]]$W
      for (h in seq_len(k)) {
        vs[[nm]][, idx] <- vs[[nm]][, idx] + matrix(L2[, h, ], p, length(idx)) * rep(W[h, idx], each = p)
      }
    }
  }
  parts <- lapply(names(comps), function(nm) {
    out <- t(vs[[nm]])
    colnames(out) <- paste0("var_", nm, "[", traits, "]")
    out
  })
  do.call(cbind, parts)
}

#' The chain of each saved draw (all 1 for fits of one chain)
#' @noRd
slam_draw_chain <- function(fit) {
  ch <- fit$mcmc$chain
  if (is.null(ch)) rep(1L, slam_n_draws(fit)) else as.integer(ch)
}

#' Draws as an iterations x chains x variables array
#'
#' Chains stopped early (interrupted) are cut to the shortest chain, because
#' the diagnostics need chains of equal length.
#' @noRd
slam_draws_3d <- function(fit, what, traits = NULL) {
  d <- slam_draws(fit, what)
  if (!is.null(traits)) d <- d[, slam_columns_of_traits(colnames(d), slam_traits(fit), traits), drop = FALSE]
  ch <- slam_draw_chain(fit)
  C <- max(ch)
  n_it <- min(tabulate(ch, C))
  if (any(tabulate(ch, C) != n_it)) {
    warning("chains have different numbers of draws (interrupted?); using the first ", n_it,
            " of each", call. = FALSE)
  }
  out <- array(NA_real_, c(n_it, C, ncol(d)),
               dimnames = list(iteration = NULL, chain = NULL, variable = colnames(d)))
  for (c in seq_len(C)) out[, c, ] <- d[which(ch == c)[seq_len(n_it)], , drop = FALSE]
  out
}

#' Posterior draws of a fit for the posterior package
#'
#' `as_draws_array()` and `as_draws_df()` return the saved draws of the chosen
#' quantities with their chains, so that posterior's summaries and
#' diagnostics, bayesplot and other packages built on posterior work on a
#' fit. Quantities are named as in [slam_draws()], which also lists what
#' `what` may take; in addition `"variances"` gives the per-trait variances of
#' each random-effect term and of the residual (`var_<term>[trait]`,
#' `var_Residual[trait]`, i.e. the diagonals of `G_m` and `R`). The default
#' holds identified quantities only (fixed effects, heritabilities, variances,
#' the families' parameters): loadings are identified only up to the order and
#' signs of the factors, which differ between chains.
#'
#' @param x a fitted `SLAMglmm` object.
#' @param what quantities, as in [slam_draws()], or `"variances"`.
#' @param ... not used.
#' @return A `draws_array` or `draws_df` (see the posterior package).
#' @seealso [slam_diagnostics()], [slam_draws()]
#' @examples
#' \donttest{
#' data(slam_pheno, slam_kinship)
#' set.seed(1)
#' fit <- SLAMglmm(cbind(y1, y2) ~ sex + (1 | animal), data = slam_pheno,
#'                 relmat = list(animal = slam_kinship), n_factors = 1, chains = 2,
#'                 nitt = 600, burnin = 200, thin = 2, verbose = FALSE)
#' d <- posterior::as_draws_df(fit)
#' posterior::summarise_draws(d)
#' }
#' @rdname as_draws.SLAMglmm
#' @exportS3Method posterior::as_draws_array
as_draws_array.SLAMglmm <- function(x, what = NULL, ...) {
  if (is.null(what)) what <- slam_identified(x)
  posterior::as_draws_array(slam_draws_3d(x, what))
}

#' @rdname as_draws.SLAMglmm
#' @exportS3Method posterior::as_draws_df
as_draws_df.SLAMglmm <- function(x, what = NULL, ...) {
  posterior::as_draws_df(as_draws_array.SLAMglmm(x, what = what))
}

#' @rdname as_draws.SLAMglmm
#' @exportS3Method posterior::as_draws
as_draws.SLAMglmm <- function(x, what = NULL, ...) {
  as_draws_array.SLAMglmm(x, what = what)
}

#' Convert a SLAMglmm fit to a coda mcmc.list
#'
#' One `coda::mcmc` object per chain, with the iteration numbers of the saved
#' draws; see [as.mcmc.SLAMglmm()] and [slam_draws()] for `what`.
#' @param x a fitted `SLAMglmm` object.
#' @param what quantities, as in [slam_draws()], or `"variances"`.
#' @param ... not used.
#' @return A `coda::mcmc.list`.
#' @exportS3Method coda::as.mcmc.list
as.mcmc.list.SLAMglmm <- function(x, what = c("h2_total", "psi"), ...) {
  if (!requireNamespace("coda", quietly = TRUE)) {
    stop("as.mcmc.list() needs the coda package; use slam_draws() for a plain matrix.", call. = FALSE)
  }
  a <- slam_draws_3d(x, what)
  m <- slam_mcmc_attr(x, dim(a)[1L])
  coda::mcmc.list(lapply(seq_len(dim(a)[2L]), function(c) {
    coda::mcmc(matrix(a[, c, ], dim(a)[1L], dimnames = list(NULL, dimnames(a)[[3L]])),
               start = m[["start"]], thin = m[["thin"]])
  }))
}

#' Convergence diagnostics of a fit
#'
#' R-hat (the rank-normalised, folded, split R-hat) and the bulk and tail
#' effective sample sizes of Vehtari et al. (2021), computed by the posterior
#' package for each identified quantity, with the posterior mean and sd over
#' all chains. With one chain R-hat compares its two halves; with several it
#' also compares the chains, which is what detects chains stuck in different
#' places. R-hat above 1.01 or a bulk ESS below 100 per chain call for a longer
#' run.
#'
#' @param fit a fitted `SLAMglmm` object.
#' @param what quantities, as in [as_draws_array.SLAMglmm()]; `NULL`
#'   (default): the identified ones that the fit saved (see `save_draws` in
#'   [SLAMglmm()]).
#' @param traits `NULL` (default: every trait) or the names of the traits
#'   whose quantities are diagnosed (quantities of no trait, such as family
#'   parameters, are always kept). [summary.SLAMglmm()] diagnoses at most 100
#'   traits, evenly spaced, when there are more.
#' @return A data frame with columns `variable`, `mean`, `sd`, `rhat`,
#'   `ess_bulk`, `ess_tail`.
#' @references Vehtari, A., Gelman, A., Simpson, D., Carpenter, B. and
#'   Buerkner, P.-C. (2021). Rank-normalization, folding, and localization: an
#'   improved R-hat for assessing convergence of MCMC. Bayesian Analysis 16,
#'   667-718.
#' @examples
#' \donttest{
#' data(slam_pheno, slam_kinship)
#' set.seed(1)
#' fit <- SLAMglmm(cbind(y1, y2) ~ sex + (1 | animal), data = slam_pheno,
#'                 relmat = list(animal = slam_kinship), n_factors = 1, chains = 2,
#'                 nitt = 600, burnin = 200, thin = 2, verbose = FALSE)
#' slam_diagnostics(fit)
#' }
#' @export
slam_diagnostics <- function(fit, what = NULL, traits = NULL) {
  if (!inherits(fit, "SLAMglmm")) stop("`fit` must be a SLAMglmm fit.", call. = FALSE)
  if (is.null(what)) what <- slam_identified(fit)
  if (!is.null(traits) && (!is.character(traits) || !all(traits %in% slam_traits(fit)))) {
    slam_stop("`traits` must be NULL or names of traits of the fit.", arg = "traits")
  }
  a <- slam_draws_3d(fit, what, traits)
  if (dim(a)[3L] == 0L) {
    return(data.frame(variable = character(0), mean = numeric(0), sd = numeric(0),
                      rhat = numeric(0), ess_bulk = numeric(0), ess_tail = numeric(0)))
  }
  s <- suppressWarnings(posterior::summarise_draws(posterior::as_draws_array(a), "mean", "sd",
                                                   "rhat", "ess_bulk", "ess_tail"))
  # constant quantities (e.g. a share fixed at 0) get NA diagnostics from posterior
  out <- data.frame(variable = as.character(s$variable), mean = as.double(s$mean),
                    sd = as.double(s$sd), rhat = as.double(s$rhat),
                    ess_bulk = as.double(s$ess_bulk), ess_tail = as.double(s$ess_tail),
                    stringsAsFactors = FALSE)
  out
}

#' Columns of quantities of the traits `keep` (the trait is the last element
#' in the brackets of a name, e.g. `h2_total[animal,y1]`), and columns of no
#' trait (family parameters)
#' @noRd
slam_columns_of_traits <- function(names, traits, keep) {
  inner <- sub("^[^[]*\\[(.*)\\]$", "\\1", names)
  last <- sub("^.*,", "", inner)
  last <- sub(":[^:]*$", "", last)          # family parameters: "trait:size"
  !(last %in% traits) | last %in% keep
}

#' The traits whose quantities summary() diagnoses: all up to
#' `slam_summary_max_traits`, else that many, evenly spaced (R-hat and ESS of
#' tens of thousands of quantities take minutes; slam_diagnostics() gives all)
#' @noRd
slam_summary_traits <- function(fit) {
  tr <- slam_traits(fit)
  if (length(tr) <= slam_summary_max_traits) return(NULL)
  tr[unique(round(seq(1, length(tr), length.out = slam_summary_max_traits)))]
}

#' @noRd
slam_summary_max_traits <- 100L

#' One line on convergence for print.summary
#' @noRd
slam_convergence_line <- function(diag, chains, n_per_chain, subset = NULL) {
  if (is.null(diag) || nrow(diag) == 0L) return(NULL)
  rh <- diag$rhat
  eb <- diag$ess_bulk
  et <- diag$ess_tail
  worst <- if (all(is.na(rh))) NA else diag$variable[which.max(rh)]
  paste0("Convergence (", chains, if (chains == 1L) " chain" else " chains", " x ", n_per_chain,
         " draws): max R-hat ", format(round(max(rh, na.rm = TRUE), 3), nsmall = 3),
         if (!is.na(worst)) paste0(" (", worst, ")") else "",
         "; min bulk ESS ", round(min(eb, na.rm = TRUE)),
         ", min tail ESS ", round(min(et, na.rm = TRUE)),
         " over ", sum(!is.na(rh)), " quantities",
         if (!is.null(subset)) paste0(" of ", subset[1L], " of the ", subset[2L],
                                      " traits (slam_diagnostics() for all)") else "")
}
