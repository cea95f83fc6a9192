# Access to the posterior draws, effective sample sizes, and coda conversion.

#' What slam_draws() can return
#' @noRd
slam_draws_what <- c("h2_total", "h2", "h2F", "psi", "fixef", "B", "BF", "Lambda",
                     "delta", "sigma2_b", "family", "G", "R", "P", "gcor", "variances")

#' Posterior draws of a SLAMglmm fit as a matrix
#'
#' Returns the saved draws of the chosen parameters as a (draws x parameters)
#' matrix, on the data scale, for diagnostics or any posterior summary not
#' provided by the package. [as.mcmc.SLAMglmm()] wraps the result as a
#' `coda::mcmc` object.
#'
#' Parameters (`what`):
#' * `"h2_total"`: heritability per trait, `diag(G) / diag(P)`;
#'   `"h2"`: trait-specific variance proportion of the random term;
#'   `"h2F"`: factor variance proportions;
#' * `"psi"`: trait-specific variances; `"delta"`: MGPS multipliers;
#'   `"sigma2_b"`: shared fixed-effect variances;
#' * `"family"`: the observation models' parameters (cut-points of ordinal
#'   traits, sizes of negative binomial traits; see [family_params()]);
#' * `"fixef"`: total fixed effects (see [fixef.SLAMglmm()]); `"B"`, `"BF"`:
#'   trait and factor fixed-effect coefficients;
#' * `"Lambda"`: factor loadings. These are identified only up to the order
#'   and signs of the factors: prefer identified quantities for diagnostics;
#' * `"G"`, `"R"`, `"P"`: random-effect, residual and phenotypic covariance
#'   matrices (lower triangle with diagonal); `"gcor"`: genetic correlations
#'   (strict lower triangle). These are formed per draw and are available only
#'   for at most 50 traits; `"variances"`: the diagonals of `G_m` and `R`
#'   (`var_<term>[trait]`, `var_Residual[trait]`), for any number of traits.
#'
#' With several chains the draws of all chains are stacked in chain order;
#' `fit$mcmc$chain` gives each row's chain, and [posterior::as_draws_array()]
#' or [as.mcmc.list.SLAMglmm()] keep them apart.
#'
#' Column names are `name[index]`, e.g. `h2_total[y1]`, `fixef[sexM,y2]`,
#' `G[y2,y1]`; with several random-effect terms the term name is added
#' (`h2_total[animal,y1]`, `G_animal[y2,y1]`).
#'
#' @param fit a fitted `SLAMglmm` object.
#' @param what one or more of the parameter names above.
#' @return A numeric matrix with one row per saved draw, and an attribute
#'   `mcmc = c(start, end, thin)` giving the iterations of the first and last
#'   draws and the thinning interval.
#' @seealso [slam_ess()], [as.mcmc.SLAMglmm()]
#' @examples
#' \donttest{
#' data(slam_pheno, slam_kinship)
#' fit <- SLAMglmm(cbind(y1, y2, y3) ~ sex + (1 | animal), data = slam_pheno,
#'                 relmat = list(animal = slam_kinship), n_factors = 2,
#'                 nitt = 600, burnin = 200, thin = 2, verbose = FALSE)
#' d <- slam_draws(fit, c("h2_total", "gcor"))
#' dim(d)
#' colMeans(d)
#' apply(d, 2, slam_ess)
#' }
#' @export
slam_draws <- function(fit, what = "h2_total") {
  if (!inherits(fit, "SLAMglmm")) stop("`fit` must be a SLAMglmm fit.", call. = FALSE)
  if (!is.character(what) || length(what) == 0L) {
    stop("`what` must name parameters: ", paste(slam_draws_what, collapse = ", "), ".", call. = FALSE)
  }
  bad <- setdiff(what, slam_draws_what)
  if (length(bad)) {
    stop("unknown `what`: ", paste(bad, collapse = ", "), "; choose from ",
         paste(slam_draws_what, collapse = ", "), ".", call. = FALSE)
  }
  nT <- slam_n_draws(fit)
  parts <- lapply(unique(what), function(w) slam_draws_one(fit, w, nT))
  out <- do.call(cbind, parts)
  if (is.null(out)) out <- matrix(numeric(0), nT, 0L)
  attr(out, "mcmc") <- slam_mcmc_attr(fit, nT)
  out
}

#' start, end, thin of the saved draws
#' @noRd
slam_mcmc_attr <- function(fit, nT) {
  thin <- fit$mcmc$thin
  burnin <- fit$mcmc$burnin
  if (is.null(thin) || is.null(burnin)) return(c(start = 1, end = nT, thin = 1))
  start <- burnin + thin
  c(start = start, end = start + (nT - 1) * thin, thin = thin)
}

#' Flatten a (rows x T) or (rows x cols x T) array into T x params
#' @noRd
flatten_draws <- function(A, name, nT, row_names = NULL, col_names = NULL) {
  if (is.null(A)) return(matrix(numeric(0), nT, 0L))
  d <- dim(A)
  if (is.null(d)) A <- matrix(A, nrow = 1L)
  d <- dim(A)
  if (length(d) == 2L) {
    rn <- if (!is.null(row_names)) row_names else dimnames(A)[[1L]]
    if (is.null(rn)) rn <- seq_len(d[1L])
    out <- t(matrix(as.double(A), d[1L], d[2L]))
    colnames(out) <- if (d[1L]) paste0(name, "[", rn, "]") else character(0)
    return(out)
  }
  rn <- if (!is.null(row_names)) row_names else dimnames(A)[[1L]]
  cn <- if (!is.null(col_names)) col_names else dimnames(A)[[2L]]
  if (is.null(rn)) rn <- seq_len(d[1L])
  if (is.null(cn)) cn <- seq_len(d[2L])
  out <- t(matrix(as.double(A), d[1L] * d[2L], d[3L]))
  colnames(out) <- if (d[1L] * d[2L]) {
    paste0(name, "[", rep(rn, times = d[2L]), ",", rep(cn, each = d[1L]), "]")
  } else {
    character(0)
  }
  out
}

#' Draws of one kind of parameter
#' @noRd
slam_draws_one <- function(fit, w, nT) {
  dr <- fit$draws
  traits <- slam_traits(fit)
  p <- length(traits)
  tms <- slam_terms(fit)
  M <- length(tms)
  k <- slam_n_factors(fit)
  fac <- if (k) paste0("F", seq_len(k)) else character(0)
  per_term <- function(get) {
    if (M == 0L) return(matrix(numeric(0), nT, 0L))
    do.call(cbind, lapply(seq_len(M), function(m) {
      x <- get(m)
      if (M == 1L) flatten_draws(x, w, nT, row_names = rownames(x))
      else flatten_draws(x, w, nT, row_names = paste0(tms[m], ",", rownames(x)))
    }))
  }
  if (w %in% slam_saved_quantities) slam_draws_of(fit, w, paste0("slam_draws(what = \"", w, "\")"))
  if (w == "h2F") slam_draws_of(fit, "h2F", "slam_draws(what = \"h2F\")")
  switch(w,
    h2_total = per_term(function(m) slam_h2_draws(fit, m, "total")),
    h2 = per_term(function(m) slam_h2_draws(fit, m, "specific")),
    h2F = per_term(function(m) {
      x <- matrix(as.double(slam_term_slice(dr$h2F, m, M)), k, nT)
      rownames(x) <- fac
      x
    }),
    psi = flatten_draws(dr$psi, w, nT, row_names = traits),
    delta = if (k) flatten_draws(matrix(as.double(dr$delta), k, nT), w, nT, row_names = fac)
            else matrix(numeric(0), nT, 0L),
    sigma2_b = flatten_draws(dr$sigma2_b, w, nT),
    family = if (is.null(dr$family) || nrow(dr$family) == 0L) matrix(numeric(0), nT, 0L)
             else flatten_draws(dr$family, w, nT),
    fixef = flatten_draws(slam_fixef_draws(fit, "total"), w, nT),
    B = flatten_draws(dr$B, w, nT),
    BF = flatten_draws(dr$BF, w, nT),
    Lambda = flatten_draws(if (inherits(dr$Lambda, "slam_disk_array")) as.array(dr$Lambda) else dr$Lambda,
                           w, nT, row_names = traits, col_names = fac),
    G = , R = , P = , gcor = slam_cov_draws_flat(fit, w, nT),
    variances = slam_variance_draws(fit, nT)
  )
}

#' Per-draw covariance matrices flattened to their lower triangles
#' @noRd
slam_cov_draws_flat <- function(fit, w, nT) {
  traits <- slam_traits(fit)
  p <- length(traits)
  check_p_for_draws(p, paste0("slam_draws(what = \"", w, "\")"))
  comps <- slam_cov_components(fit)
  tms <- slam_terms(fit)
  Lambda <- fit$draws$Lambda
  lt <- which(lower.tri(matrix(0, p, p), diag = w != "gcor"), arr.ind = TRUE)
  lab <- paste0(traits[lt[, 1L]], ",", traits[lt[, 2L]])
  take <- function(A, name) {
    out <- t(matrix(A, p * p, nT)[(lt[, 2L] - 1L) * p + lt[, 1L], , drop = FALSE])
    colnames(out) <- if (nrow(lt)) paste0(name, "[", lab, "]") else character(0)
    out
  }
  if (w == "R") {
    cc <- comps[["Residual"]]
    return(take(cov_draws(Lambda, cc$W, cc$D), "R"))
  }
  if (w == "P") {
    psi <- fit$draws$psi
    k <- slam_n_factors(fit)
    return(take(cov_draws(Lambda, matrix(1, k, nT), psi), "P"))
  }
  if (length(tms) == 0L) return(matrix(numeric(0), nT, 0L))
  do.call(cbind, lapply(seq_along(tms), function(m) {
    cc <- comps[[tms[m]]]
    A <- cov_draws(Lambda, cc$W, cc$D)
    if (w == "gcor") A <- array(apply(A, 3L, function(s) suppressWarnings(stats::cov2cor(s))), dim(A))
    nm <- if (length(tms) == 1L) w else paste0(w, "_", tms[m])
    take(A, nm)
  }))
}

#' Convert a SLAMglmm fit to a coda mcmc object
#'
#' Wraps [slam_draws()] as a `coda::mcmc` object (one chain), with the
#' iteration numbers of the saved draws, so that coda's diagnostics and plots
#' can be used. Requires the coda package.
#'
#' @param x a fitted `SLAMglmm` object.
#' @param what parameters, as in [slam_draws()].
#' @param ... not used.
#' @return A `coda::mcmc` object.
#' @examples
#' \donttest{
#' if (requireNamespace("coda", quietly = TRUE)) {
#'   data(slam_pheno, slam_kinship)
#'   fit <- SLAMglmm(cbind(y1, y2) ~ sex + (1 | animal), data = slam_pheno,
#'                   relmat = list(animal = slam_kinship), n_factors = 1,
#'                   nitt = 600, burnin = 200, thin = 2, verbose = FALSE)
#'   m <- coda::as.mcmc(fit, what = c("h2_total", "psi"))
#'   coda::effectiveSize(m)
#' }
#' }
#' @exportS3Method coda::as.mcmc
as.mcmc.SLAMglmm <- function(x, what = c("h2_total", "psi"), ...) {
  if (!requireNamespace("coda", quietly = TRUE)) {
    stop("as.mcmc() needs the coda package; use slam_draws() for a plain matrix.", call. = FALSE)
  }
  d <- slam_draws(x, what)
  a <- attr(d, "mcmc")
  attr(d, "mcmc") <- NULL
  coda::mcmc(d, start = a[["start"]], thin = a[["thin"]])
}

#' Effective sample size of a Markov chain
#'
#' Geyer's (1992) initial sequence estimator: with \eqn{\rho_t}{rho_t} the
#' sample autocorrelations of the chain, the sums of adjacent pairs
#' \eqn{\Gamma_m = \rho_{2m} + \rho_{2m+1}}{Gamma_m = rho_2m + rho_(2m+1)} are
#' added while they stay positive (initial positive sequence) and, with
#' `monotone = TRUE`, are made non-increasing (initial monotone sequence).
#' The integrated autocorrelation time is
#' \eqn{\tau = -1 + 2\sum_m \Gamma_m}{tau = -1 + 2 sum_m Gamma_m} and the
#' effective sample size is \eqn{n / \tau}{n / tau}, capped at
#' \eqn{n \log_{10} n}{n log10(n)}. Autocovariances are computed by FFT.
#'
#' @param x a numeric vector: the draws of one parameter, in order.
#' @param monotone apply the initial monotone sequence correction.
#' @return The effective sample size (a number), `NA` for chains shorter than 4
#'   or with no variation.
#' @references Geyer, C. J. (1992). Practical Markov chain Monte Carlo.
#'   *Statistical Science* 7, 473-483.
#' @examples
#' set.seed(1)
#' x <- as.numeric(arima.sim(list(ar = 0.5), n = 5000))
#' slam_ess(x)          # about 5000 * (1 - 0.5) / (1 + 0.5) = 1667
#' @export
slam_ess <- function(x, monotone = TRUE) {
  x <- as.double(x)
  x <- x[is.finite(x)]
  n <- length(x)
  if (n < 4L) return(NA_real_)
  xc <- x - mean(x)
  if (sum(xc^2) <= 1e-12 * max(1, sum(x^2))) return(NA_real_)
  nfft <- stats::nextn(2L * n)
  f <- stats::fft(c(xc, rep(0, nfft - n)))
  acov <- Re(stats::fft(Mod(f)^2, inverse = TRUE))[seq_len(n)] / (as.double(nfft) * n)
  rho <- acov / acov[1L]
  n_pairs <- n %/% 2L
  Gam <- rho[2L * seq_len(n_pairs) - 1L] + rho[2L * seq_len(n_pairs)]
  # initial positive sequence
  stop_at <- which(Gam <= 0)[1L]
  m_max <- if (is.na(stop_at)) n_pairs else stop_at - 1L
  Gam <- Gam[seq_len(max(1L, m_max))]
  if (m_max == 0L) Gam <- max(Gam, 0)
  if (monotone && length(Gam) > 1L) Gam <- cummin(Gam)
  tau <- -1 + 2 * sum(Gam)
  tau <- max(tau, 1 / log10(n))
  min(n / tau, n * log10(n))
}
