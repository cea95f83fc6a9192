#' Prior distributions of a SLAMglmm model
#'
#' Builds and checks the prior of [SLAMglmm()], in the spirit of `MCMCglmm`'s
#' `prior = list(R = list(V = , nu = ), ...)`. Every argument is a list; elements
#' left out take their defaults, so `slam_prior(R = list(nu = 5))` changes only
#' `nu`. [SLAMglmm()] also accepts a plain list with the same structure, e.g.
#' `prior = list(h2 = list(divisions = 50))`, and fills it in with this function.
#'
#' All priors are on the **standardised scale**: before sampling, each trait is
#' centred by its observed mean (when the model has an intercept) and divided
#' by its observed standard deviation, so the defaults suit any data. Draws are
#' transformed back to the data scale afterwards.
#'
#' @param R Prior of the total residual variances `psi_j` of the traits (the
#'   variance of a trait not explained by the factors, split by `h2` between
#'   the random effect and the residual). A list with
#'   \describe{
#'     \item{`V`}{(> 0, default 1) and}
#'     \item{`nu`}{(> 0, default 3): `V` and `nu` as in MCMCglmm:
#'       `psi_j ~ inverse-gamma(shape = nu/2, scale = nu*V/2)` on the
#'       standardised scale.}
#'   }
#' @param h2 Discrete priors of the variance proportions (the share of a
#'   trait's or factor's variance due to the random-effect term). A list with
#'   \describe{
#'     \item{`divisions`}{(whole number >= 1, default 20): the grid is
#'       `seq(0, 1, length.out = divisions + 1)` without its last point, i.e.
#'       `divisions` points from 0 up to (but excluding) 1.}
#'     \item{`trait`}{prior weights of the grid points for the traits'
#'       `h2`: `NULL` (default, uniform) or a non-negative vector of length
#'       `divisions` with a positive sum; normalised to sum 1.}
#'     \item{`factor`}{the same for the factors' `h2F` (e.g. put extra mass
#'       on 0 to favour factors that are purely residual).}
#'   }
#'   In a model without a random-effect term the grid is just 0 (weight 1) and
#'   these weights are not used.
#' @param Lambda Multiplicative gamma process shrinkage prior on the factor
#'   loadings (Bhattacharya and Dunson 2011) with element-wise ARD:
#'   `lambda_jh ~ N(0, 1 / (phi_jh tau_h))`, `phi_jh ~ Gamma(nu/2, rate = nu/2)`,
#'   `tau_h = delta_1 * ... * delta_h`, `delta_1 ~ Gamma(a1, 1)`,
#'   `delta_l ~ Gamma(a2, 1)` truncated to `delta_l >= delta_min` for `l >= 2`.
#'   A list with
#'   \describe{
#'     \item{`nu`}{(> 0, default 3): degrees of freedom of the local (ARD) shrinkage.}
#'     \item{`a1`}{(> 0, default 2.1): shape of `delta_1`.}
#'     \item{`a2`}{(> 0, default 3.1): shape of `delta_l`, `l >= 2`; larger
#'       values shrink later factors more strongly.}
#'     \item{`delta_min`}{(>= 0, default 1): lower truncation of `delta_l`,
#'       `l >= 2`; 1 makes the factors' sizes decrease with their index (and
#'       keeps their order stable), 0 switches the truncation off.}
#'   }
#' @param B Shrinkage prior of the fixed effects (design equation 2): for each
#'   covariate except the intercept, its row of trait coefficients and its row
#'   of factor coefficients share one variance,
#'   `[b_j., bF_j.] ~ N(0, sigma2_bj I)`, with
#'   `sigma2_bj ~ inverse-gamma(shape, scale)` on the standardised scale. The
#'   trait intercept has a flat prior; factors have no intercept. A list with
#'   \describe{
#'     \item{`shape`}{(> 0, default 2) and}
#'     \item{`scale`}{(> 0, default 1).}
#'   }
#' @return An object of class `"slam_prior"`: a list with elements `R`, `h2`,
#'   `Lambda` and `B` (all elements filled in; `h2$trait` and `h2$factor` hold the
#'   normalised weights) and `h2_grid`, the grid of variance proportions.
#' @seealso [SLAMglmm()]
#' @examples
#' p <- slam_prior()
#' p$h2_grid
#' # a finer grid and a prior favouring h2F = 0 for the factors
#' w <- c(10, rep(1, 49))
#' p2 <- slam_prior(h2 = list(divisions = 50, factor = w), R = list(nu = 5))
#' p2$h2$factor[1:3]
#' @export
slam_prior <- function(R = list(V = 1, nu = 3),
                       h2 = list(divisions = 20, trait = NULL, factor = NULL),
                       Lambda = list(nu = 3, a1 = 2.1, a2 = 3.1, delta_min = 1),
                       B = list(shape = 2, scale = 1)) {
  R <- prior_fill(R, "R", list(V = 1, nu = 3))
  h2 <- prior_fill(h2, "h2", list(divisions = 20, trait = NULL, factor = NULL))
  Lambda <- prior_fill(Lambda, "Lambda", list(nu = 3, a1 = 2.1, a2 = 3.1, delta_min = 1))
  B <- prior_fill(B, "B", list(shape = 2, scale = 1))

  R$V <- check_number(R$V, "prior$R$V", lower = 0, strict = TRUE)
  R$nu <- check_number(R$nu, "prior$R$nu", lower = 0, strict = TRUE)

  h2$divisions <- check_number(h2$divisions, "prior$h2$divisions", lower = 1, whole = TRUE)
  grid <- slam_h2_grid(h2$divisions)
  h2$trait <- prior_weights(h2$trait, "prior$h2$trait", length(grid))
  h2$factor <- prior_weights(h2$factor, "prior$h2$factor", length(grid))

  Lambda$nu <- check_number(Lambda$nu, "prior$Lambda$nu", lower = 0, strict = TRUE)
  Lambda$a1 <- check_number(Lambda$a1, "prior$Lambda$a1", lower = 0, strict = TRUE)
  Lambda$a2 <- check_number(Lambda$a2, "prior$Lambda$a2", lower = 0, strict = TRUE)
  Lambda$delta_min <- check_number(Lambda$delta_min, "prior$Lambda$delta_min", lower = 0)

  B$shape <- check_number(B$shape, "prior$B$shape", lower = 0, strict = TRUE)
  B$scale <- check_number(B$scale, "prior$B$scale", lower = 0, strict = TRUE)

  structure(list(R = R, h2 = h2, Lambda = Lambda, B = B, h2_grid = grid),
            class = "slam_prior")
}

#' The grid of variance proportions
#'
#' @param divisions number of grid points.
#' @return `divisions` values from 0 up to (excluding) 1.
#' @noRd
slam_h2_grid <- function(divisions) {
  seq(0, 1, length.out = divisions + 1L)[-(divisions + 1L)]
}

#' Fill one prior element with its defaults and reject unknown names
#'
#' @param x the user's list (or NULL).
#' @param name element name, for messages (`prior$<name>`).
#' @param defaults named list of defaults.
#' @return `x` with missing sub-elements taken from `defaults`, in the order of
#'   `defaults`.
#' @noRd
prior_fill <- function(x, name, defaults) {
  if (is.null(x)) return(defaults)
  if (!is.list(x) || is.data.frame(x)) {
    slam_stop("prior$", name, " must be a list (e.g. ", name, " = list(",
              names(defaults)[1L], " = ...)).")
  }
  if (length(x) == 0L) return(defaults)
  nm <- names(x)
  if (is.null(nm) || any(is.na(nm) | nm == "")) {
    slam_stop("every element of prior$", name, " must be named (known elements: ",
              paste(names(defaults), collapse = ", "), ").")
  }
  if (anyDuplicated(nm)) {
    slam_stop("prior$", name, " has duplicated element(s): ",
              paste(unique(nm[duplicated(nm)]), collapse = ", "), ".")
  }
  unknown <- setdiff(nm, names(defaults))
  if (length(unknown)) {
    slam_stop(paste0("prior$", name, "$", unknown, collapse = ", "),
              if (length(unknown) == 1L) " is not a known element" else " are not known elements",
              " (known elements of prior$", name, ": ", paste(names(defaults), collapse = ", "), ").")
  }
  out <- defaults
  for (n in nm) {
    # keep explicit NULLs (e.g. trait = NULL) as NULL
    if (is.null(x[[n]])) out[n] <- list(NULL) else out[[n]] <- x[[n]]
  }
  out
}

#' Check and normalise grid weights
#'
#' @param w NULL (uniform) or a numeric vector.
#' @param name element name for messages.
#' @param G grid size.
#' @return Weights of length G summing to 1.
#' @noRd
prior_weights <- function(w, name, G) {
  if (is.null(w)) return(rep(1 / G, G))
  if (!is.numeric(w) || anyNA(w) || any(!is.finite(w))) {
    slam_stop(name, " must be NULL or a numeric vector of finite weights.")
  }
  if (length(w) != G) {
    slam_stop(name, " must have one weight per grid point: length ", G,
              " (= prior$h2$divisions), not ", length(w), ".")
  }
  if (any(w < 0)) slam_stop(name, " must have non-negative weights.")
  if (sum(w) <= 0) slam_stop(name, " must have a positive sum.")
  as.double(w / sum(w))
}

#' Turn the `prior` argument of SLAMglmm() into a checked slam_prior
#'
#' @param prior a `slam_prior` object, a plain list with elements among `R`,
#'   `h2`, `Lambda`, `B`, or NULL (defaults).
#' @return A `slam_prior` object.
#' @noRd
as_slam_prior <- function(prior) {
  if (is.null(prior)) return(slam_prior())
  if (!is.list(prior) || is.data.frame(prior)) {
    slam_stop("`prior` must be the result of slam_prior() or a list with elements among ",
              "R, h2, Lambda, B.")
  }
  known <- c("R", "h2", "Lambda", "B")
  if (inherits(prior, "slam_prior")) prior$h2_grid <- NULL
  if (length(prior) == 0L) return(slam_prior())
  nm <- names(prior)
  if (is.null(nm) || any(is.na(nm) | nm == "")) {
    slam_stop("every element of `prior` must be named (known elements: ",
              paste(known, collapse = ", "), ").")
  }
  if (anyDuplicated(nm)) {
    slam_stop("`prior` has duplicated element(s): ",
              paste(unique(nm[duplicated(nm)]), collapse = ", "), ".")
  }
  unknown <- setdiff(nm, known)
  if (length(unknown)) {
    slam_stop(paste0("prior$", unknown, collapse = ", "),
              if (length(unknown) == 1L) " is not a known element" else " are not known elements",
              " (known elements: ", paste(known, collapse = ", "), ").")
  }
  args <- lapply(stats::setNames(known, known), function(n) prior[[n]])
  do.call(slam_prior, args)
}

#' Print a slam_prior
#'
#' @param x a `slam_prior` object.
#' @param ... unused.
#' @return `x`, invisibly.
#' @method print slam_prior
#' @export
print.slam_prior <- function(x, ...) {
  w_text <- function(w) {
    if (length(w) > 1L && max(abs(w - w[1L])) < 1e-12) "uniform" else
      paste(format(w, digits = 3), collapse = " ")
  }
  cat("SLAMglmm prior (standardised scale)\n")
  cat("  R:      psi_j ~ inverse-gamma(nu/2, nu*V/2), V = ", format(x$R$V),
      ", nu = ", format(x$R$nu), "\n", sep = "")
  cat("  h2:     grid of ", length(x$h2_grid), " point(s) from 0 to ",
      format(max(x$h2_grid), digits = 3), "; trait weights: ", w_text(x$h2$trait),
      "; factor weights: ", w_text(x$h2$factor), "\n", sep = "")
  cat("  Lambda: MGPS + ARD, nu = ", format(x$Lambda$nu), ", a1 = ", format(x$Lambda$a1),
      ", a2 = ", format(x$Lambda$a2), ", delta_min = ", format(x$Lambda$delta_min), "\n", sep = "")
  cat("  B:      sigma2_b ~ inverse-gamma(", format(x$B$shape), ", ", format(x$B$scale),
      ")\n", sep = "")
  invisible(x)
}
