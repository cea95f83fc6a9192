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
#' @param h2 Discrete priors of the variance proportions: the shares of a
#'   trait's (trait-specific) variance `psi_j`, or of a factor's variance, due
#'   to each random-effect term, the rest being residual. They live on a grid.
#'   A list with
#'   \describe{
#'     \item{`divisions`}{(whole number d >= 1, default 20): the grid
#'       resolution. With one random-effect term the grid is the `d` values
#'       `0, 1/d, ..., (d-1)/d` (`seq(0, 1, length.out = d + 1)` without its
#'       last point). With M >= 2 terms it is the simplex grid: every vector of
#'       shares `(i_1, ..., i_M) / d` with whole `i_m >= 0` and
#'       `i_1 + ... + i_M <= d - 1`, so the shares of the terms sum to less
#'       than 1 and the residual keeps the rest. It has
#'       `G = choose(d - 1 + M, M)` points (for d = 20: 20, 210, 1540 points
#'       for M = 1, 2, 3); the fit stores it as the G x M matrix
#'       `fit$prior$h2_grid` (columns: the terms in formula order; rows: the
#'       share of the first term varying fastest).}
#'     \item{`trait`}{prior weights of the grid points for the traits'
#'       shares: `NULL` (default, uniform), a non-negative vector with one
#'       weight per grid point (length `d` with one term, `G` with M terms)
#'       and a positive sum, or a function that takes the G x M grid matrix
#'       (columns named by the grouping factors) and returns the G weights,
#'       e.g. `function(g) ifelse(rowSums(g) == 0, 5, 1)`. Normalised to sum 1.}
#'     \item{`factor`}{the same for the factors' shares (e.g. put extra mass
#'       on 0 to favour factors that are purely residual). Grid points where a
#'       term that is not in the factor formula has a positive share always
#'       get weight 0 for the factors.}
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
#' @param B Shrinkage prior of the fixed effects (shared between the traits and the factors): for each
#'   covariate except the intercept, its row of trait coefficients and its row
#'   of factor coefficients share one variance,
#'   `[b_j., bF_j.] ~ N(0, sigma2_bj I)`, with
#'   `sigma2_bj ~ inverse-gamma(shape, scale)` on the standardised scale. The
#'   trait intercept has a flat prior; factors have no intercept. A list with
#'   \describe{
#'     \item{`shape`}{(> 0, default 2) and}
#'     \item{`scale`}{(> 0, default 1).}
#'   }
#' @param negbin Prior of the size (inverse over-dispersion) `r_j` of each
#'   negative binomial trait (family `"negbin"`, see [slam_negbin()]):
#'   `r_j ~ Gamma(shape, rate)`, a list with `shape` (> 0, default 0.01) and
#'   `rate` (> 0, default 0.01), the vague prior brms uses for its `shape`.
#'   The model's own residual in the latent trait is a second source of
#'   over-dispersion (log-normal), so `r_j` is large when the counts are no
#'   more dispersed than that residual makes them.
#' @param probes Prior of the precision `rho_q` of each probe of a
#'   [slam_probes()] model, `rho_q ~ Gamma(shape, rate)` on the scale of the
#'   gene's standardised probes: a list with `shape` (> 0, default 2) and `rate`
#'   (> 0, default 0.2), i.e. a prior mean of 10 (the probe's error a tenth of
#'   the gene's variance) that still allows very noisy probes.
#' @param curves Prior of the measurement variance `sigma2` of a
#'   [slam_curve()] model (per trait, or per trait and class of its `variance`),
#'   `sigma2 ~ inverse-gamma(shape, scale)` on the scale of the standardised
#'   measurements: `shape` (> 0, default 2) and `scale` (> 0, default 0.1),
#'   a prior mean of a tenth of the trait's variance.
#' @return An object of class `"slam_prior"`: a list with elements `R`, `h2`,
#'   `Lambda`, `B`, `negbin`, `probes` and `curves` (all elements filled in; `h2$trait` and `h2$factor` hold the
#'   normalised weights, or the function given) and `h2_grid`, the grid of
#'   variance proportions for one random-effect term. [SLAMglmm()] replaces
#'   `h2_grid` and the weights by those of the model's number of terms.
#' @seealso [SLAMglmm()]
#' @examples
#' p <- slam_prior()
#' p$h2_grid
#' # a finer grid and a prior favouring h2F = 0 for the factors
#' w <- c(10, rep(1, 49))
#' p2 <- slam_prior(h2 = list(divisions = 50, factor = w), R = list(nu = 5))
#' p2$h2$factor[1:3]
#' # two random-effect terms: weights given as a function of the grid matrix
#' p3 <- slam_prior(h2 = list(divisions = 10,
#'                            trait = function(g) ifelse(rowSums(g) == 0, 5, 1)))
#' @export
slam_prior <- function(R = list(V = 1, nu = 3),
                       h2 = list(divisions = 20, trait = NULL, factor = NULL),
                       Lambda = list(nu = 3, a1 = 2.1, a2 = 3.1, delta_min = 1),
                       B = list(shape = 2, scale = 1),
                       negbin = list(shape = 0.01, rate = 0.01),
                       probes = list(shape = 2, rate = 0.2),
                       curves = list(shape = 2, scale = 0.1)) {
  R <- prior_fill(R, "R", list(V = 1, nu = 3))
  h2 <- prior_fill(h2, "h2", list(divisions = 20, trait = NULL, factor = NULL))
  Lambda <- prior_fill(Lambda, "Lambda", list(nu = 3, a1 = 2.1, a2 = 3.1, delta_min = 1))
  B <- prior_fill(B, "B", list(shape = 2, scale = 1))
  negbin <- prior_fill(negbin, "negbin", list(shape = 0.01, rate = 0.01))
  probes <- prior_fill(probes, "probes", list(shape = 2, rate = 0.2))
  curves <- prior_fill(curves, "curves", list(shape = 2, scale = 0.1))

  if (is.matrix(R$V) && length(R$V) > 1L) {
    slam_stop("`prior$R$V` must be a single number, not a matrix: it is the scale of the ",
              "inverse-gamma prior of every trait's residual variance on the standardised ",
              "scale; the covariances among traits come from the factors, so there is no ",
              "MCMCglmm-style V matrix.", arg = "prior")
  }
  R$V <- check_number(R$V, "prior$R$V", lower = 0, strict = TRUE)
  R$nu <- check_number(R$nu, "prior$R$nu", lower = 0, strict = TRUE)

  h2$divisions <- check_number(h2$divisions, "prior$h2$divisions", lower = 1, whole = TRUE)
  grid <- slam_h2_grid(h2$divisions)
  h2$trait <- prior_weights_any(h2$trait, "prior$h2$trait", h2$divisions)
  h2$factor <- prior_weights_any(h2$factor, "prior$h2$factor", h2$divisions)

  Lambda$nu <- check_number(Lambda$nu, "prior$Lambda$nu", lower = 0, strict = TRUE)
  Lambda$a1 <- check_number(Lambda$a1, "prior$Lambda$a1", lower = 0, strict = TRUE)
  Lambda$a2 <- check_number(Lambda$a2, "prior$Lambda$a2", lower = 0, strict = TRUE)
  Lambda$delta_min <- check_number(Lambda$delta_min, "prior$Lambda$delta_min", lower = 0)

  B$shape <- check_number(B$shape, "prior$B$shape", lower = 0, strict = TRUE)
  B$scale <- check_number(B$scale, "prior$B$scale", lower = 0, strict = TRUE)
  negbin$shape <- check_number(negbin$shape, "prior$negbin$shape", lower = 0, strict = TRUE)
  negbin$rate <- check_number(negbin$rate, "prior$negbin$rate", lower = 0, strict = TRUE)
  probes$shape <- check_number(probes$shape, "prior$probes$shape", lower = 0, strict = TRUE)
  probes$rate <- check_number(probes$rate, "prior$probes$rate", lower = 0, strict = TRUE)
  curves$shape <- check_number(curves$shape, "prior$curves$shape", lower = 0, strict = TRUE)
  curves$scale <- check_number(curves$scale, "prior$curves$scale", lower = 0, strict = TRUE)

  structure(list(R = R, h2 = h2, Lambda = Lambda, B = B, negbin = negbin, probes = probes,
                 curves = curves, h2_grid = grid),
            class = "slam_prior")
}

#' The grid of variance proportions
#'
#' With M <= 1 random-effect terms: the `divisions` values 0, 1/d, ...,
#' (d - 1)/d. With M >= 2 terms: the simplex grid, one row per grid point and
#' one column per term, holding the shares `i_m / d` for every vector of
#' whole numbers `i_1, ..., i_M >= 0` with `sum(i) <= d - 1`, so every row
#' sums to less than 1 (the residual gets the rest). Its size is
#' `choose(d - 1 + M, M)`. Rows are ordered with the first term varying
#' fastest; for M = 1 the single column equals the vector of M <= 1.
#'
#' @param divisions number of divisions d (>= 1).
#' @param n_terms number of random-effect terms M.
#' @return A numeric vector (M <= 1) or a G x M matrix (M >= 2).
#' @noRd
slam_h2_grid <- function(divisions, n_terms = 1L) {
  d <- as.integer(divisions)
  if (n_terms <= 1L) return(seq(0, 1, length.out = d + 1L)[-(d + 1L)])
  idx <- matrix(0:(d - 1L), ncol = 1L)
  for (m in seq_len(n_terms - 1L)) {
    # append a new first column, with values 0 .. (d - 1 - the row's sum)
    room <- d - 1L - rowSums(idx)
    reps <- room + 1L
    rows <- rep(seq_len(nrow(idx)), times = reps)
    first <- unlist(lapply(reps, function(r) seq_len(r) - 1L), use.names = FALSE)
    idx <- cbind(first, idx[rows, , drop = FALSE])
  }
  # order: the first term varies fastest
  ord <- do.call(order, rev(as.data.frame(idx)))
  idx <- idx[ord, , drop = FALSE]
  out <- idx / d
  dimnames(out) <- NULL
  out
}

#' Number of points of the grid with M terms
#' @noRd
slam_grid_size <- function(divisions, n_terms) {
  if (n_terms <= 1L) return(as.integer(divisions))
  as.integer(round(choose(divisions - 1 + n_terms, n_terms)))
}

#' The grid and the prior weights of a model with M random-effect terms
#'
#' @param prior a `slam_prior`.
#' @param terms names of the random-effect terms, formula order (length M).
#' @param factor_terms names of the terms that act on the factors.
#' @param rust_order the formula index of the sampler's term 1, 2, ...: the
#'   grid's rows are generated with the sampler's first term varying fastest.
#' @return `prior` with `h2_grid` (vector for M <= 1, G x M matrix with the
#'   terms as column names for M >= 2; just 0 for M = 0), `h2$trait` and
#'   `h2$factor` normalised weights of length G; the factors' weights are 0 at
#'   grid points where a term not acting on the factors has a positive share.
#' @noRd
slam_prior_for_terms <- function(prior, terms, factor_terms = terms) {
  M <- length(terms)
  if (M == 0L) {
    prior$h2_grid <- 0
    prior$h2$trait <- 1
    prior$h2$factor <- 1
    return(prior)
  }
  d <- prior$h2$divisions
  grid <- slam_h2_grid(d, M)
  G <- slam_grid_size(d, M)
  if (M >= 2L) colnames(grid) <- terms
  gm <- if (M == 1L) matrix(grid, ncol = 1L) else grid
  colnames(gm) <- terms
  what <- if (M == 1L) "one random-effect term" else paste0(M, " random-effect terms")
  wt <- prior_weights_for_grid(prior$h2$trait, "prior$h2$trait", gm, G, d, what)
  wf <- prior_weights_for_grid(prior$h2$factor, "prior$h2$factor", gm, G, d, what)
  off <- setdiff(terms, factor_terms)
  if (length(off)) {
    zero <- rowSums(gm[, off, drop = FALSE] > 0) > 0
    wf[zero] <- 0
    if (sum(wf) <= 0) {
      slam_stop("prior$h2$factor puts no weight on the grid points where the term(s) not in ",
                "`factor_formula` (", paste(off, collapse = ", "), ") have share 0.", arg = "prior")
    }
    wf <- wf / sum(wf)
  }
  prior$h2_grid <- grid
  prior$h2$trait <- wt
  prior$h2$factor <- wf
  prior
}

#' Weights of the grid points for the actual number of terms
#'
#' `w` is NULL (uniform), a function of the grid (G x M matrix, columns named
#' by the terms) returning G non-negative weights, or a vector of length G.
#' @noRd
prior_weights_for_grid <- function(w, name, gm, G, d, what) {
  # uniform weights of another grid size (such as the default, made for one
  # term) are uniform on this grid too
  if (is.numeric(w) && length(w) != G && length(w) > 1L && max(abs(w - w[1L])) < 1e-12) w <- NULL
  if (is.function(w)) {
    w <- tryCatch(w(gm), error = function(e) {
      slam_stop(name, " (a function of the grid) failed: ", conditionMessage(e), arg = "prior")
    })
  }
  if (!is.null(w) && is.numeric(w) && length(w) != G) {
    slam_stop(name, " must have one weight per grid point: the grid of a model with ", what,
              " and prior$h2$divisions = ", d, " has ", G, " points (choose(divisions - 1 + M, M)), ",
              "but ", length(w), " weights were given. Give NULL (uniform) or a function of the ",
              "grid matrix.", arg = "prior")
  }
  prior_weights(w, name, G)
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
              names(defaults)[1L], " = ...)).", arg = "prior")
  }
  if (length(x) == 0L) return(defaults)
  nm <- names(x)
  if (is.null(nm) || any(is.na(nm) | nm == "")) {
    slam_stop("every element of prior$", name, " must be named (known elements: ",
              paste(names(defaults), collapse = ", "), ").",
              arg = "prior")
  }
  if (anyDuplicated(nm)) {
    slam_stop("prior$", name, " has duplicated element(s): ",
              paste(unique(nm[duplicated(nm)]), collapse = ", "), ".", arg = "prior")
  }
  unknown <- setdiff(nm, names(defaults))
  if (length(unknown)) {
    slam_stop(paste0("prior$", name, "$", unknown, collapse = ", "),
              if (length(unknown) == 1L) " is not a known element" else " are not known elements",
              " (known elements of prior$", name, ": ", paste(names(defaults), collapse = ", "), ").",
              arg = "prior")
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
    slam_stop(name, " must be NULL or a numeric vector of finite weights.", arg = "prior")
  }
  if (length(w) != G) {
    slam_stop(name, " must have one weight per grid point: length ", G,
              " (= prior$h2$divisions), not ", length(w), ".", arg = "prior")
  }
  if (any(w < 0)) slam_stop(name, " must have non-negative weights.", arg = "prior")
  if (sum(w) <= 0) slam_stop(name, " must have a positive sum.", arg = "prior")
  as.double(w / sum(w))
}

#' Check grid weights before the number of random-effect terms is known
#'
#' NULL gives uniform weights on the one-term grid; functions are kept as
#' they are. A numeric vector must have the
#' length of the grid for some number of terms M >= 1 (`divisions` for one
#' term, `choose(divisions - 1 + M, M)` for M terms); it is normalised, and
#' checked against the actual grid when the model is built.
#' @noRd
prior_weights_any <- function(w, name, divisions) {
  if (is.null(w)) return(rep(1 / divisions, divisions))
  if (is.function(w)) return(w)
  if (!is.numeric(w) || anyNA(w) || any(!is.finite(w))) {
    slam_stop(name, " must be NULL, a numeric vector of finite weights, or a function of the grid.",
              arg = "prior")
  }
  sizes <- vapply(1:8, function(M) slam_grid_size(divisions, M), 1L)
  if (!(length(w) %in% sizes)) {
    slam_stop(name, " must have one weight per grid point: length ", divisions,
              " (= prior$h2$divisions) with one random-effect term, choose(divisions - 1 + M, M) ",
              "with M terms (", paste(sizes[2:3], collapse = ", "), ", ... for M = 2, 3, ...), not ",
              length(w), ".", arg = "prior")
  }
  prior_weights(w, name, length(w))
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
              "R, h2, Lambda, B, negbin, probes, curves.", arg = "prior")
  }
  known <- c("R", "h2", "Lambda", "B", "negbin", "probes", "curves")
  if (inherits(prior, "slam_prior")) prior$h2_grid <- NULL
  if (length(prior) == 0L) return(slam_prior())
  nm <- names(prior)
  if (is.null(nm) || any(is.na(nm) | nm == "")) {
    slam_stop("every element of `prior` must be named (known elements: ",
              paste(known, collapse = ", "), ").", arg = "prior")
  }
  if (anyDuplicated(nm)) {
    slam_stop("`prior` has duplicated element(s): ",
              paste(unique(nm[duplicated(nm)]), collapse = ", "), ".", arg = "prior")
  }
  unknown <- setdiff(nm, known)
  if (length(unknown)) {
    slam_stop(paste0("prior$", unknown, collapse = ", "),
              if (length(unknown) == 1L) " is not a known element" else " are not known elements",
              " (known elements: ", paste(known, collapse = ", "), ").", arg = "prior")
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
    if (is.null(w)) return("uniform")
    if (is.function(w)) return("a function of the grid")
    if (length(w) > 1L && max(abs(w - w[1L])) < 1e-12) return("uniform")
    if (length(w) > 12L) return(paste0(length(w), " weights"))
    paste(format(w, digits = 3), collapse = " ")
  }
  grid <- x$h2_grid
  cat("SLAMglmm prior (standardised scale)\n")
  cat("  R:      psi_j ~ inverse-gamma(nu/2, nu*V/2), V = ", format(x$R$V),
      ", nu = ", format(x$R$nu), "\n", sep = "")
  if (is.matrix(grid)) {
    cat("  h2:     simplex grid of ", nrow(grid), " points over ", ncol(grid), " terms (",
        paste(colnames(grid), collapse = ", "), "), ", x$h2$divisions, " divisions; trait weights: ",
        w_text(x$h2$trait), "; factor weights: ", w_text(x$h2$factor), "\n", sep = "")
  } else {
    cat("  h2:     grid of ", length(grid), " point(s) from 0 to ",
        format(max(grid), digits = 3), "; trait weights: ", w_text(x$h2$trait),
        "; factor weights: ", w_text(x$h2$factor), "\n", sep = "")
  }
  cat("  Lambda: MGPS + ARD, nu = ", format(x$Lambda$nu), ", a1 = ", format(x$Lambda$a1),
      ", a2 = ", format(x$Lambda$a2), ", delta_min = ", format(x$Lambda$delta_min), "\n", sep = "")
  cat("  B:      sigma2_b ~ inverse-gamma(", format(x$B$shape), ", ", format(x$B$scale),
      ")\n", sep = "")
  invisible(x)
}
