# Fixed effects, genetic values, coefficients, fitted values and predictions.

#' Per-draw fixed effects on the traits
#'
#' The effect of covariate j on trait i enters the model twice: directly
#' (`B[j, i]`) and through the factors (`sum_h BF[j, h] Lambda[i, h]`) when the
#' covariate is also in the factor formula. This returns the requested part per
#' draw as an array (covariates x traits x T).
#' @noRd
slam_fixef_draws <- function(fit, part = c("total", "trait", "factor")) {
  part <- match.arg(part)
  dr <- fit$draws
  traits <- slam_traits(fit)
  p <- length(traits)
  nT <- slam_n_draws(fit)
  B <- if (part == "factor") dr$B else slam_draws_of(fit, "B", "Fixed effects (fixef())")
  if (is.null(B)) B <- array(0, c(0L, p, nT))
  fixed <- dimnames(B)[[1L]]
  if (is.null(fixed)) fixed <- as.character(fit$fixed)
  k <- slam_n_factors(fit)
  BF <- dr$BF
  bF <- if (is.null(BF) || length(dim(BF)) < 3L) 0L else dim(BF)[1L]
  fixed_F <- if (bF > 0L) {
    nmF <- dimnames(BF)[[1L]]
    if (is.null(nmF)) as.character(fit$fixed_F) else nmF
  } else {
    character(0)
  }
  # the factor part, bF x p x T
  FP <- array(0, c(bF, p, nT))
  if (part != "trait" && k > 0L && length(fit$fixed_F) > 0L) {
    BF <- slam_draws_of(fit, "BF", "Fixed effects through the factors (fixef())")
    slam_draws_of(fit, "Lambda", "Fixed effects through the factors (fixef())")
  }
  if (bF > 0L && k > 0L && part != "trait") {
    for (t in seq_len(nT)) {
      FP[, , t] <- matrix(BF[, , t], bF, k) %*% t(matrix(dr$Lambda[, , t], p, k))
    }
  }
  rows <- switch(part,
    trait = fixed,
    factor = fixed_F,
    total = c(fixed, setdiff(fixed_F, fixed))
  )
  out <- array(0, c(length(rows), p, nT), dimnames = list(rows, traits, NULL))
  if (part != "factor" && length(fixed) > 0L) {
    out[fixed, , ] <- B
  }
  if (part != "trait" && bF > 0L) {
    out[fixed_F, , ] <- out[fixed_F, , , drop = FALSE] + FP
  }
  out
}

#' Fixed effects of a SLAMglmm fit
#'
#' Posterior means of the fixed effects on every trait, on the data scale.
#'
#' A covariate can act on the traits directly (the trait formula, coefficients
#' `B`) and through the latent factors (the factor formula, coefficients `B_F`,
#' whose effect on trait i is `sum_h B_F[, h] Lambda[i, h]`). By default the
#' two are added (`part = "total"`), which gives the effect that is comparable
#' with a univariate mixed model (e.g. [lme4::lmer()]) of each trait. The
#' totals are formed draw by draw before averaging.
#'
#' @param object a fitted `SLAMglmm` object.
#' @param part `"total"` (default): direct plus through-factor effects;
#'   `"trait"`: the direct coefficients `B` only; `"factor"`: the
#'   through-factor part only (rows: the factor-formula covariates).
#' @param interval if `TRUE`, return a long data frame with posterior intervals
#'   instead of a matrix.
#' @param prob,method interval probability and type (`"quantile"`:
#'   equal-tailed; `"hpd"`: highest posterior density).
#' @param cutpoints for ordinal traits, add the cut-points on the liability
#'   scale as rows `cut1` (fixed at 0), `cut2`, ... (`cut c` separates class c
#'   from class c + 1; `NA` for other traits), as the ordinal package reports
#'   thresholds beside the coefficients. Their labels by class are in
#'   [family_params()].
#' @param ... not used.
#' @return With `interval = FALSE`, a (covariates x traits) matrix of posterior
#'   means (rows: the fixed-effect columns, e.g. `"(Intercept)"`, `"sexM"`,
#'   then the cut-points of ordinal traits; columns: traits). With
#'   `interval = TRUE`, a data frame with columns `effect`, `trait`,
#'   `estimate`, `lower`, `upper`. For probit, ordinal and count traits the
#'   effects are on the latent (liability or log) scale.
#' @examples
#' \donttest{
#' data(slam_pheno, slam_kinship)
#' fit <- SLAMglmm(cbind(y1, y2, y3) ~ sex + (1 | animal), data = slam_pheno,
#'                 relmat = list(animal = slam_kinship), n_factors = 2,
#'                 nitt = 600, burnin = 200, thin = 2, verbose = FALSE)
#' fixef(fit)
#' fixef(fit, interval = TRUE)
#' }
#' @method fixef SLAMglmm
#' @export
fixef.SLAMglmm <- function(object, part = c("total", "trait", "factor"), interval = FALSE,
                           prob = 0.95, method = c("quantile", "hpd"), cutpoints = TRUE, ...) {
  part <- match.arg(part)
  method <- match.arg(method)
  A <- slam_fixef_draws(object, part)
  if (isTRUE(cutpoints)) A <- slam_add_cutpoints(object, A)
  d <- dim(A)
  est <- apply(A, c(1L, 2L), mean)
  est <- matrix(est, d[1L], d[2L], dimnames = dimnames(A)[1:2])
  if (!isTRUE(interval)) return(est)
  check_prob(prob)
  ci <- slam_intervals(matrix(A, d[1L] * d[2L]), prob, method)
  out <- data.frame(effect = rep(dimnames(A)[[1L]], times = d[2L]),
                    trait = rep(dimnames(A)[[2L]], each = d[1L]),
                    estimate = as.vector(est), lower = ci[, 1L], upper = ci[, 2L],
                    stringsAsFactors = FALSE)
  # cut-point rows exist only for ordinal traits
  out <- out[!is.na(out$estimate), , drop = FALSE]
  rownames(out) <- NULL
  out
}

#' Append the cut-points of ordinal traits to a (effects x traits x T) array
#' @noRd
slam_add_cutpoints <- function(fit, A) {
  cp <- slam_cutpoint_draws(fit)
  if (!length(cp)) return(A)
  d <- dim(A)
  nc <- max(vapply(cp, nrow, 1L))
  rows <- paste0("cut", seq_len(nc))
  out <- array(NA_real_, c(d[1L] + nc, d[2L], d[3L]),
               dimnames = list(c(dimnames(A)[[1L]], rows), dimnames(A)[[2L]], NULL))
  out[seq_len(d[1L]), , ] <- A
  for (tr in names(cp)) out[d[1L] + seq_len(nrow(cp[[tr]])), tr, ] <- cp[[tr]]
  out
}

#' Genetic values (random effects) of a SLAMglmm fit
#'
#' Posterior means of the random effects of every level of each random-effect
#' term, for every trait: `U = U_R + U_F Lambda'` (trait-specific plus
#' factor-borne parts), on the data scale. For an animal term with a kinship
#' matrix these are the estimated breeding values; levels that are in the
#' kinship matrix but have no observations are predicted through it.
#'
#' @param object a fitted `SLAMglmm` object.
#' @param ... not used.
#' @return A named list with one (levels x traits) matrix per random-effect
#'   term (names: the grouping factors). Empty list when the model has no
#'   random-effect term.
#' @examples
#' \donttest{
#' data(slam_pheno, slam_kinship)
#' fit <- SLAMglmm(cbind(y1, y2, y3) ~ sex + (1 | animal), data = slam_pheno,
#'                 relmat = list(animal = slam_kinship), n_factors = 2,
#'                 nitt = 600, burnin = 200, thin = 2, verbose = FALSE)
#' u <- ranef(fit)$animal
#' head(u)
#' }
#' @method ranef SLAMglmm
#' @export
ranef.SLAMglmm <- function(object, ...) {
  tms <- slam_terms(object)
  traits <- slam_traits(object)
  out <- lapply(tms, function(tm) {
    U <- object$U_mean[[tm]]
    if (is.null(U)) return(NULL)
    U <- as.matrix(U)
    if (is.null(rownames(U)) && !is.null(object$levels[[tm]])) {
      rownames(U) <- as.character(object$levels[[tm]])
    }
    colnames(U) <- traits
    U
  })
  names(out) <- tms
  out
}

#' Level-specific coefficients of a SLAMglmm fit
#'
#' In the spirit of [lme4::coef.merMod()]: for each random-effect term and each
#' trait, a data frame with one row per level, holding the fixed effects (the
#' total effects of [fixef.SLAMglmm()]) with the level's genetic value added to
#' the intercept.
#'
#' @param object a fitted `SLAMglmm` object.
#' @param ... not used.
#' @return A named list (per term) of named lists (per trait) of data frames
#'   (levels x fixed-effect columns).
#' @method coef SLAMglmm
#' @export
coef.SLAMglmm <- function(object, ...) {
  fe <- fixef.SLAMglmm(object, cutpoints = FALSE)
  re <- ranef.SLAMglmm(object)
  traits <- slam_traits(object)
  out <- lapply(names(re), function(tm) {
    U <- re[[tm]]
    per_trait <- lapply(traits, function(tr) {
      df <- as.data.frame(matrix(fe[, tr], nrow(U), nrow(fe), byrow = TRUE,
                                 dimnames = list(rownames(U), rownames(fe))),
                          check.names = FALSE)
      if ("(Intercept)" %in% names(df)) {
        df[["(Intercept)"]] <- df[["(Intercept)"]] + U[, tr]
      } else {
        df[[paste0("(", tm, ")")]] <- U[, tr]
      }
      df
    })
    names(per_trait) <- traits
    per_trait
  })
  names(out) <- names(re)
  out
}

#' Fitted values of a SLAMglmm fit
#'
#' `type = "link"`: the posterior mean of the latent trait layer H (n x p). For
#' Gaussian traits (data scale) H equals the data where a trait was observed
#' without weights, so for observed entries this returns the data, and for
#' missing entries (`NA` in the response) the posterior-mean imputation from
#' the model (fixed effects, factors, genetic values through the kinship, and
#' the information from the individual's other traits). For probit and
#' ordinal traits it is the latent liability, for count traits the latent log
#' mean (without the offset).
#'
#' `type = "response"`: for non-Gaussian traits the posterior mean of the
#' expected observation given the linear predictor `eta` (fixed effects,
#' factors and all random effects, not the residual) and the residual
#' variance `v`: the probability of a 1 (`pnorm((eta + offset) / sqrt(v))`),
#' the expected class of an ordinal trait (the class probabilities are in
#' `fit$class_probs`), or the expected count `exp(eta + offset + v/2)`. Gaussian
#' traits are as with `type = "link"`.
#'
#' @param object a fitted `SLAMglmm` object.
#' @param type `"link"` (default) or `"response"`.
#' @param ... not used.
#' @return An n x p matrix.
#' @method fitted SLAMglmm
#' @export
fitted.SLAMglmm <- function(object, type = c("link", "response"), ...) {
  type <- match.arg(type)
  H <- as.matrix(object$H_mean)
  colnames(H) <- slam_traits(object)
  if (type == "response" && !is.null(object$fitted_response)) {
    ng <- slam_families(object) != "gaussian"
    H[, ng] <- object$fitted_response[, ng, drop = FALSE]
  }
  H
}

#' @method nobs SLAMglmm
#' @importFrom stats nobs
#' @export
nobs.SLAMglmm <- function(object, ...) {
  as.integer(object$n)
}

#' @method formula SLAMglmm
#' @export
formula.SLAMglmm <- function(x, ...) {
  x$formula
}
