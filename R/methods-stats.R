# stats generics that lme4 users reach for: residuals(), sigma(), vcov(), confint().

#' Residuals of a SLAMglmm fit
#'
#' Conditional residuals, as [lme4::residuals.merMod()] gives them: the data
#' minus the posterior means of the fixed effects and of the genetic values of
#' every random-effect term, `Y - X B - sum_i Z_i U_i` (data scale, `NA` where
#' the response is missing). They estimate the residual part whose covariance
#' among traits is the `"Residual"` matrix of [VarCorr.SLAMglmm()] (the
#' trait-specific residuals plus the non-genetic part of the factors). For
#' non-Gaussian traits they are response residuals, the observation minus
#' `fitted(object, type = "response")` (for an ordinal trait its class number
#' minus the expected class).
#'
#' @param object a fitted `SLAMglmm` object.
#' @param ... not used.
#' @return An n x p matrix.
#' @method residuals SLAMglmm
#' @export
residuals.SLAMglmm <- function(object, ...) {
  if (is.null(object$X)) {
    slam_stop("this fit has no stored design matrix (it was made by an older version); refit it.")
  }
  mu <- object$X %*% fixef.SLAMglmm(object, cutpoints = FALSE)
  U <- ranef(object)
  for (tm in names(object$row_levels)) {
    mu <- mu + U[[tm]][object$row_levels[[tm]], , drop = FALSE]
  }
  r <- as.matrix(object$Y) - mu
  if (!is.null(object$offset)) r <- r - object$offset
  ng <- slam_families(object) != "gaussian"
  if (any(ng)) {
    fr <- fitted.SLAMglmm(object, type = "response")
    r[, ng] <- as.matrix(object$Y)[, ng, drop = FALSE] - fr[, ng, drop = FALSE]
  }
  dimnames(r) <- list(NULL, slam_traits(object))
  r
}

#' Residual standard deviations of a SLAMglmm fit
#'
#' One per trait: the square root of the diagonal of the posterior-mean
#' residual covariance matrix (`VarCorr(object)$Residual`), on the data scale.
#'
#' @param object a fitted `SLAMglmm` object.
#' @param ... not used.
#' @return A named numeric vector, one value per trait.
#' @method sigma SLAMglmm
#' @export
sigma.SLAMglmm <- function(object, ...) {
  sqrt(diag(VarCorr(object)$Residual))
}

#' Posterior draws of the fixed effects as a draws x (trait, effect) matrix
#' @noRd
slam_fixef_matrix <- function(object) {
  A <- slam_fixef_draws(object, "total")
  d <- dim(A)
  nm <- paste(rep(dimnames(A)[[2L]], each = d[1L]), rep(dimnames(A)[[1L]], times = d[2L]),
              sep = ":")
  m <- matrix(A, d[1L] * d[2L], d[3L])
  if (d[3L] < 2L) slam_stop("the fit has fewer than 2 saved draws.")
  dimnames(m) <- list(nm, NULL)
  t(m)
}

#' Posterior covariance of the fixed effects of a SLAMglmm fit
#'
#' The covariance matrix over the saved draws of the total fixed effects
#' ([fixef.SLAMglmm()]), all traits together, with names `trait:effect`.
#'
#' @param object a fitted `SLAMglmm` object.
#' @param ... not used.
#' @return A square matrix.
#' @method vcov SLAMglmm
#' @export
vcov.SLAMglmm <- function(object, ...) {
  stats::cov(slam_fixef_matrix(object))
}

#' Credible intervals for the fixed effects of a SLAMglmm fit
#'
#' Equal-tailed posterior intervals (quantiles of the saved draws) of the
#' total fixed effects, named `trait:effect`. For variance components and
#' heritabilities use [summary.SLAMglmm()] and [h2()].
#'
#' @param object a fitted `SLAMglmm` object.
#' @param parm names (`trait:effect`) or indices of the effects; all by default.
#' @param level the probability of each interval.
#' @param ... not used.
#' @return A matrix with one row per effect and the lower and upper limits.
#' @method confint SLAMglmm
#' @export
confint.SLAMglmm <- function(object, parm, level = 0.95, ...) {
  if (!is.numeric(level) || length(level) != 1L || is.na(level) || level <= 0 || level >= 1) {
    slam_stop("`level` must be a single number between 0 and 1.")
  }
  D <- slam_fixef_matrix(object)
  if (!missing(parm)) {
    if (is.character(parm) && !all(parm %in% colnames(D))) {
      slam_stop("`parm` has unknown name(s): ",
                paste0("'", setdiff(parm, colnames(D)), "'", collapse = ", "),
                "; names are trait:effect, e.g. '", colnames(D)[1L], "'.")
    }
    if (is.numeric(parm) && any(parm < 1 | parm > ncol(D))) {
      slam_stop("`parm` indices must be between 1 and ", ncol(D), ".")
    }
    D <- D[, parm, drop = FALSE]
  }
  a <- (1 - level) / 2
  q <- t(apply(D, 2L, stats::quantile, probs = c(a, 1 - a), names = FALSE))
  colnames(q) <- paste0(format(100 * c(a, 1 - a), trim = TRUE, scientific = FALSE), " %")
  q
}
