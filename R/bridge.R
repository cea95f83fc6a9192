# The bridge to the Rust sampler (see src/rust/README.md for the contract):
# slam_build_input() turns the user's arguments into the input list of
# slam_sample_rust() plus what R needs afterwards; slam_assemble_fit() turns
# the raw (standardised-scale) output into a "SLAMglmm" fit on the data scale.

#' Build the input of the Rust sampler
#'
#' Checks every argument, parses the formula, standardises the traits, builds
#' the grid and draws the seed. Nothing here calls Rust.
#'
#' @inheritParams SLAMglmm
#' @return A list with `input` (the named list of the bridge contract) and
#'   `info` (what [slam_assemble_fit()] needs).
#' @noRd
slam_build_input <- function(formula, data = NULL, relmat = list(), factor_formula = NULL,
                             n_factors = 10, prior = slam_prior(), nitt = 6000, burnin = 1000,
                             thin = 5, threads = NULL, verbose = TRUE) {
  # scalar arguments first: cheap, and before any work on the data
  k <- check_n_factors(n_factors)
  mcmc <- check_mcmc(nitt, burnin, thin)
  threads <- check_threads(threads)
  verbose <- check_flag(verbose, "verbose")
  prior <- as_slam_prior(prior)

  parsed <- slam_parse_formula(formula, data = data, factor_formula = factor_formula,
                               relmat = relmat)
  std <- slam_standardize(parsed$Y, has_intercept = "(Intercept)" %in% colnames(parsed$X))

  term <- if (length(parsed$terms)) parsed$terms[[1L]] else NULL
  if (is.null(term)) {
    # no random effect: a single grid point, h2 = 0
    prior$h2_grid <- 0
    prior$h2$trait <- 1
    prior$h2$factor <- 1
  }

  seed <- as.double(sample.int(.Machine$integer.max, 2L))

  input <- list(
    Y = as_double_matrix(std$Y),
    X = as_double_matrix(parsed$X),
    penalized = as.logical(parsed$penalized),
    XF = as_double_matrix(parsed$XF),
    Z = if (is.null(term)) NULL else as_double_matrix(term$Z),
    K = if (is.null(term) || is.null(term$K)) NULL else as_double_matrix(term$K),
    k = as.integer(k),
    h2_grid = as.double(prior$h2_grid),
    h2_prior = as.double(prior$h2$trait),
    h2F_prior = as.double(prior$h2$factor),
    psi_V = as.double(prior$R$V),
    psi_nu = as.double(prior$R$nu),
    lambda_nu = as.double(prior$Lambda$nu),
    a1 = as.double(prior$Lambda$a1),
    a2 = as.double(prior$Lambda$a2),
    delta_min = as.double(prior$Lambda$delta_min),
    b_shape = as.double(prior$B$shape),
    b_scale = as.double(prior$B$scale),
    nitt = as.integer(mcmc$nitt),
    burnin = as.integer(mcmc$burnin),
    thin = as.integer(mcmc$thin),
    seed = seed,
    threads = as.integer(threads),
    verbose = verbose
  )

  term_names <- names(parsed$terms)
  if (is.null(term_names)) term_names <- character(0)
  info <- list(
    formula = parsed$formula,
    factor_formula = parsed$factor_formula,
    traits = colnames(parsed$Y),
    n = nrow(parsed$Y),
    fixed = colnames(parsed$X),
    fixed_F = colnames(parsed$XF),
    terms = term_names,
    levels = stats::setNames(lapply(parsed$terms, function(t) t$levels), term_names),
    relmat_given = stats::setNames(vapply(parsed$terms, function(t) t$relmat_given, TRUE),
                                   term_names),
    data_scale = list(center = std$center, scale = std$scale),
    Y = parsed$Y,
    n_factors = as.integer(k),
    prior = prior,
    mcmc = list(nitt = mcmc$nitt, burnin = mcmc$burnin, thin = mcmc$thin,
                n_planned = mcmc$n_saved, threads = as.integer(threads), seed = seed)
  )
  list(input = input, info = info)
}

#' A plain double matrix (no attributes other than dim and dimnames)
#' @noRd
as_double_matrix <- function(x) {
  x <- as.matrix(x)
  storage.mode(x) <- "double"
  x
}

#' Centre and scale each trait by its observed mean and sd
#'
#' @param Y n x p matrix with NA.
#' @param has_intercept centre only when the model has an intercept.
#' @return A list with the standardised `Y` and named `center`, `scale`.
#' @noRd
slam_standardize <- function(Y, has_intercept = TRUE) {
  center <- if (has_intercept) colMeans(Y, na.rm = TRUE) else rep(0, ncol(Y))
  scale <- apply(Y, 2L, stats::sd, na.rm = TRUE)
  names(center) <- names(scale) <- colnames(Y)
  Ys <- sweep(sweep(Y, 2L, center, "-"), 2L, scale, "/")
  list(Y = Ys, center = center, scale = scale)
}

#' Assemble a SLAMglmm fit from the raw output of the Rust sampler
#'
#' Checks the shapes of the raw output, transforms every draw back to the data
#' scale, names all dimensions, and warns when the run was interrupted.
#'
#' @param info the `info` element of [slam_build_input()].
#' @param raw the list returned by `slam_sample_rust()`.
#' @param call the call to store.
#' @return An object of class `"SLAMglmm"`.
#' @noRd
slam_assemble_fit <- function(info, raw, call = NULL) {
  p <- length(info$traits)
  n <- info$n
  b <- length(info$fixed)
  bF <- length(info$fixed_F)
  ns <- slam_raw_dims(raw, p, info$n_factors)
  k <- ns$k
  nT <- ns$T
  fac <- if (k > 0L) paste0("F", seq_len(k)) else character(0)
  traits <- info$traits

  # Shape first, then transform (which allocates the result), then name the
  # result in place: at most one extra copy of the large arrays (Lambda).
  get <- function(name, dims) raw_shape(raw[[name]], dims, name)
  m <- info$data_scale$center
  s <- info$data_scale$scale

  Lambda <- get("Lambda", c(p, k, nT)) * s             # row j times s_j (recycled)
  dimnames(Lambda) <- fit_dimnames(dim(Lambda), list(traits, fac, NULL))
  B <- get("B", c(b, p, nT)) * rep(s, each = b)         # column j times s_j
  icpt <- which(info$fixed == "(Intercept)")
  if (length(icpt) && nT > 0L) B[icpt, , ] <- B[icpt, , ] + m
  dimnames(B) <- fit_dimnames(dim(B), list(info$fixed, traits, NULL))
  psi <- get("psi", c(p, nT)) * s^2
  dimnames(psi) <- fit_dimnames(dim(psi), list(traits, NULL))
  BF <- name_dims(get("BF", c(bF, k, nT)), list(info$fixed_F, fac, NULL))
  h2 <- name_dims(get("h2", c(p, nT)), list(traits, NULL))
  h2F <- name_dims(get("h2F", c(k, nT)), list(fac, NULL))
  h2_total <- name_dims(get("h2_total", c(p, nT)), list(traits, NULL))
  sigma2_b <- name_dims(get("sigma2_b", c(b, nT)), list(info$fixed, NULL))
  delta <- name_dims(get("delta", c(k, nT)), list(fac, NULL))

  F_mean <- name_dims(get("F_mean", c(n, k)), list(NULL, fac))
  H_mean <- get("H_mean", c(n, p)) * rep(s, each = n) + rep(m, each = n)
  dimnames(H_mean) <- fit_dimnames(dim(H_mean), list(NULL, traits))

  U_mean <- list()
  for (t in info$terms) {
    lev <- info$levels[[t]]
    U <- get("U_mean", c(length(lev), p)) * rep(s, each = length(lev))
    dimnames(U) <- fit_dimnames(dim(U), list(lev, traits))
    U_mean[[t]] <- U
  }

  iterations <- if (is.null(raw$iterations)) NA_integer_ else as.integer(raw$iterations)
  interrupted <- isTRUE(as.logical(raw$interrupted))
  if (interrupted) {
    warning("sampling interrupted after ", iterations,
            " iterations; returning the draws saved so far", call. = FALSE)
  }

  fit <- list(
    call = call,
    formula = info$formula,
    factor_formula = info$factor_formula,
    traits = traits,
    n = n,
    fixed = info$fixed,
    fixed_F = info$fixed_F,
    terms = info$terms,
    levels = info$levels,
    relmat_given = info$relmat_given,
    data_scale = info$data_scale,
    draws = list(Lambda = Lambda, B = B, BF = BF, psi = psi, h2 = h2, h2F = h2F,
                 h2_total = h2_total, sigma2_b = sigma2_b, delta = delta),
    U_mean = U_mean,
    F_mean = F_mean,
    H_mean = H_mean,
    Y = info$Y,
    n_factors = k,
    prior = info$prior,
    mcmc = list(nitt = info$mcmc$nitt, burnin = info$mcmc$burnin, thin = info$mcmc$thin,
                iterations = iterations, n_saved = nT, interrupted = interrupted,
                threads = info$mcmc$threads, seed = info$mcmc$seed)
  )
  class(fit) <- "SLAMglmm"
  fit
}

#' Number of factors and of saved draws in the raw output
#'
#' The number of factors is read from `Lambda` (the sampler may adapt it during
#' burn-in; else from `F_mean`, else the requested number), the number of
#' draws from `psi`.
#' @noRd
slam_raw_dims <- function(raw, p, k_input = 0L) {
  if (!is.list(raw)) slam_stop("internal error: the sampler did not return a list.")
  dpsi <- dim(raw$psi)
  if (is.null(dpsi)) {
    nT <- if (p > 0L) length(raw$psi) %/% p else 0L
  } else {
    nT <- dpsi[length(dpsi)]
  }
  dL <- dim(raw$Lambda)
  k <- if (length(dL) == 3L) {
    dL[2L]
  } else if (length(dim(raw$F_mean)) == 2L) {
    ncol(raw$F_mean)
  } else if (nT > 0L && p > 0L) {
    length(raw$Lambda) %/% (p * nT)
  } else {
    k_input
  }
  list(k = as.integer(k), T = as.integer(nT))
}

#' Give a raw output element its expected shape
#'
#' @param x the element (may be NULL or of length 0 when a dimension is 0).
#' @param dims expected dimensions.
#' @param name element name, for messages.
#' @return A double array with dimensions `dims` (`x` itself when it already
#'   has them, so that large arrays are not copied).
#' @noRd
raw_shape <- function(x, dims, name) {
  if (is.null(x)) x <- numeric(0)
  if (length(x) != prod(dims)) {
    slam_stop("internal error: the sampler returned '", name, "' of length ", length(x),
              ", expected ", paste(dims, collapse = " x "), ".")
  }
  if (is.double(x) && identical(as.integer(dim(x)), as.integer(dims))) return(x)
  array(as.double(x), dim = dims)
}

#' Dimnames that fit: names whose length does not match (e.g. 0 factors) are NULL
#' @noRd
fit_dimnames <- function(dims, dn) {
  lapply(seq_along(dims), function(i) {
    d <- dn[[i]]
    if (is.null(d) || length(d) != dims[i] || dims[i] == 0L) NULL else d
  })
}

#' Set dimnames (for the small arrays; may copy `x`)
#' @noRd
name_dims <- function(x, dn) {
  dimnames(x) <- fit_dimnames(dim(x), dn)
  x
}
