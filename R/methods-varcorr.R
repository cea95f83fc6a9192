# Trait covariance matrices of a fit: VarCorr(), genetic_cor() and the helpers
# that form posterior means of  Lambda diag(w) Lambda' + diag(d)  over draws.
#
# With random-effect terms m = 1..M the model gives, per draw,
#   G_m      = Lambda diag(h2F_m) Lambda' + diag(h2_m * psi)
#   Residual = Lambda diag(1 - sum_m h2F_m) Lambda' + diag((1 - sum_m h2_m) * psi)
# and with no random term  Residual = Lambda Lambda' + diag(psi).
# The posterior mean of each is formed draw by draw without holding p x p x T.

#' @importFrom lme4 VarCorr
#' @export
lme4::VarCorr

#' @importFrom lme4 fixef
#' @export
lme4::fixef

#' @importFrom lme4 ranef
#' @export
lme4::ranef

## ---- small accessors shared by the methods files --------------------------

#' The draws of quantity `name` of a fit, or a classed error naming what
#' needed them when the fit did not save them (`save_draws`)
#' @noRd
slam_draws_of <- function(fit, name, needed_by) {
  x <- fit$draws[[name]]
  if (is.null(x) && !(name %in% slam_fit_saved(fit))) {
    stop(structure(
      class = c("slamglmm_not_saved", "slamglmm_error", "error", "condition"),
      list(message = paste0(needed_by, " needs the draws of `", name, "`, which this fit did not save ",
                            "(save_draws = c(", paste0("\"", slam_fit_saved(fit), "\"", collapse = ", "),
                            ")); refit with `", name, "` in `save_draws`."),
           call = NULL, arg = "save_draws")))
  }
  x
}

#' The quantities whose draws a fit saved (fits made before `save_draws`: all)
#' @noRd
slam_fit_saved <- function(fit) {
  if (is.null(fit$save_draws)) slam_saved_quantities else fit$save_draws
}

#' Number of saved draws of a fit
#' @noRd
slam_n_draws <- function(fit) {
  d <- dim(fit$draws$psi)
  if (is.null(d)) length(fit$draws$psi) else d[length(d)]
}

#' Trait names of a fit
#' @noRd
slam_traits <- function(fit) {
  if (!is.null(fit$traits)) return(as.character(fit$traits))
  dn <- dimnames(fit$draws$psi)[[1L]]
  if (is.null(dn)) paste0("y", seq_len(nrow(fit$draws$psi))) else dn
}

#' Number of factors in the saved draws (0 allowed)
#' @noRd
slam_n_factors <- function(fit) {
  L <- fit$draws$Lambda
  if (is.null(L) && !("Lambda" %in% slam_fit_saved(fit))) return(as.integer(fit$n_factors))
  if (is.null(L) || length(dim(L)) < 3L) return(0L)
  dim(L)[2L]
}

#' Random-effect term names of a fit (character, possibly empty)
#' @noRd
slam_terms <- function(fit) {
  tm <- fit$terms
  if (is.null(tm)) character(0) else as.character(tm)
}

#' Pick term m of a per-term draws array
#'
#' Arrays of proportions (h2, h2F, h2_total) are rows x T for a single term;
#' with several terms they may be rows x M x T. Returns rows x T.
#' @noRd
slam_term_slice <- function(x, m, n_terms) {
  if (is.null(x)) return(NULL)
  d <- dim(x)
  if (length(d) == 3L) {
    out <- x[, m, , drop = FALSE]
    dim(out) <- d[c(1L, 3L)]
    dimnames(out) <- list(dimnames(x)[[1L]], dimnames(x)[[3L]])
    return(out)
  }
  if (m > 1L) stop("draws hold a single term but term ", m, " was asked for.", call. = FALSE)
  if (is.null(d)) matrix(x, nrow = 1L) else x
}

#' Resolve a `term` argument to an index into slam_terms(fit)
#' @noRd
slam_term_index <- function(fit, term) {
  tms <- slam_terms(fit)
  if (length(tms) == 0L) {
    stop("this fit has no random-effect term.", call. = FALSE)
  }
  if (is.null(term)) return(1L)
  if (is.numeric(term)) {
    if (length(term) != 1L || term < 1 || term > length(tms)) {
      stop("`term` must be one of: ", paste(tms, collapse = ", "), ".", call. = FALSE)
    }
    return(as.integer(term))
  }
  i <- match(term, tms)
  if (length(term) != 1L || is.na(i)) {
    stop("`term` must be one of: ", paste(tms, collapse = ", "),
         " (got ", paste(term, collapse = ", "), ").", call. = FALSE)
  }
  i
}

#' Number of threads to use for helper computations
#' @noRd
slam_threads <- function(fit) {
  th <- fit$mcmc$threads
  if (is.null(th) || !is.numeric(th) || length(th) != 1L || is.na(th) || th < 1) 1L else as.integer(th)
}

## ---- covariance components per draw -----------------------------------------

#' The weights of each covariance component, per draw
#'
#' @return a named list (terms, then "Residual"); each element is a list with
#'   `W` (k x T factor weights) and `D` (p x T diagonal part).
#' @noRd
slam_cov_components <- function(fit) {
  for (nm in c("Lambda", "h2", "h2F")) slam_draws_of(fit, nm, "Covariance matrices (VarCorr() and friends)")
  dr <- fit$draws
  tms <- slam_terms(fit)
  M <- length(tms)
  k <- slam_n_factors(fit)
  psi <- dr$psi
  nT <- ncol(psi)
  out <- list()
  sumW <- matrix(0, k, nT)
  sumD <- matrix(0, nrow(psi), nT)
  for (m in seq_len(M)) {
    h2m <- slam_term_slice(dr$h2, m, M)
    h2Fm <- if (k > 0L) slam_term_slice(dr$h2F, m, M) else matrix(0, 0L, nT)
    W <- matrix(as.double(h2Fm), k, nT)
    D <- h2m * psi
    out[[tms[m]]] <- list(W = W, D = D)
    sumW <- sumW + W
    sumD <- sumD + h2m
  }
  out[["Residual"]] <- list(W = 1 - sumW, D = (1 - sumD) * psi)
  out
}

#' Posterior mean of Lambda diag(w) Lambda' + diag(d), in plain R
#'
#' Pure-R reference implementation of `slam_cov_mean_rust()`:
#' `(1/T) sum_t Lambda[,,t] diag(W[,t]) Lambda[,,t]' + diag(rowMeans(D))`.
#'
#' @param Lambda p x k x T array (k may be 0).
#' @param W k x T matrix.
#' @param D p x T matrix.
#' @return p x p matrix.
#' @noRd
cov_mean_r <- function(Lambda, W, D) {
  D <- as.matrix(D)
  p <- nrow(D)
  nT <- ncol(D)
  k <- if (is.null(Lambda) || length(dim(Lambda)) < 3L) 0L else dim(Lambda)[2L]
  S <- matrix(0, p, p)
  if (k > 0L) {
    W <- matrix(as.double(W), k, nT)
    for (t in seq_len(nT)) {
      L <- matrix(Lambda[, , t], p, k)
      S <- S + L %*% (t(L) * W[, t])
    }
    S <- S / nT
  }
  diag(S) <- diag(S) + rowMeans(D)
  (S + t(S)) / 2
}

#' Is the Rust covariance helper available in this build?
#' @noRd
rust_cov_available <- function() {
  exists("slam_cov_mean_rust", envir = topenv(environment(rust_cov_available)),
         mode = "function", inherits = TRUE)
}

#' Posterior mean of a covariance component, Rust when worthwhile
#'
#' @param engine "auto" (Rust when available and p > 30), "r" or "rust".
#' @noRd
cov_mean <- function(Lambda, W, D, threads = 1L, engine = c("auto", "r", "rust")) {
  engine <- match.arg(engine)
  if (inherits(Lambda, "slam_disk_array")) {
    # loadings on disk: the mean over draws is the draw-weighted mean over their chunks
    D <- as.matrix(D)
    W <- as.matrix(W)
    nT <- ncol(D)
    S <- 0
    for (idx in slam_lambda_blocks(Lambda)) {
      S <- S + length(idx) / nT * cov_mean(slam_lambda_block(Lambda, idx), W[, idx, drop = FALSE],
                                           D[, idx, drop = FALSE], threads = threads, engine = engine)
    }
    return(S)
  }
  D <- as.matrix(D)
  p <- nrow(D)
  k <- if (is.null(Lambda) || length(dim(Lambda)) < 3L) 0L else dim(Lambda)[2L]
  use_rust <- switch(engine,
    r = FALSE,
    rust = TRUE,
    auto = k > 0L && p > 30L && rust_cov_available()
  )
  if (use_rust) {
    if (!rust_cov_available()) stop("the Rust helper slam_cov_mean_rust() is not available.", call. = FALSE)
    if (k == 0L) return(diag(rowMeans(D), p))
    L <- Lambda
    storage.mode(L) <- "double"
    W <- matrix(as.double(W), k, ncol(D))
    storage.mode(D) <- "double"
    S <- get("slam_cov_mean_rust", envir = topenv(environment(cov_mean)))(L, W, D, as.integer(threads))
    return((S + t(S)) / 2)
  }
  cov_mean_r(Lambda, W, D)
}

#' Per-draw covariance matrices, p x p x T (small p only)
#' @noRd
cov_draws <- function(Lambda, W, D) {
  D <- as.matrix(D)
  p <- nrow(D)
  nT <- ncol(D)
  k <- if (is.null(Lambda) || length(dim(Lambda)) < 3L) 0L else dim(Lambda)[2L]
  out <- array(0, c(p, p, nT))
  W <- matrix(as.double(W), k, nT)
  for (t in seq_len(nT)) {
    S <- if (k > 0L) {
      L <- matrix(Lambda[, , t], p, k)
      L %*% (t(L) * W[, t])
    } else {
      matrix(0, p, p)
    }
    diag(S) <- diag(S) + D[, t]
    out[, , t] <- S
  }
  out
}

#' Largest number of traits for which per-draw matrices are formed
#' @noRd
slam_max_p_draws <- 50L

#' Stop when per-draw matrices would be too large
#' @noRd
check_p_for_draws <- function(p, what = "intervals") {
  if (p > slam_max_p_draws) {
    stop(what, " need per-draw p x p matrices, which are formed only for p <= ",
         slam_max_p_draws, " traits (this fit has p = ", p, ").", call. = FALSE)
  }
  invisible(TRUE)
}

#' Equal-tailed or HPD interval of each row of a matrix of draws
#'
#' @param x matrix: rows are parameters, columns draws (or a vector).
#' @return a two-column matrix (lower, upper).
#' @noRd
slam_intervals <- function(x, prob = 0.95, method = c("quantile", "hpd")) {
  method <- match.arg(method)
  check_prob(prob)
  if (is.null(dim(x))) x <- matrix(x, nrow = 1L)
  out <- t(apply(x, 1L, function(v) {
    v <- v[is.finite(v)]
    if (length(v) == 0L) return(c(NA_real_, NA_real_))
    if (method == "quantile") {
      unname(stats::quantile(v, c((1 - prob) / 2, (1 + prob) / 2), names = FALSE, type = 7))
    } else {
      hpd_interval(v, prob)
    }
  }))
  if (nrow(x) == 0L) out <- matrix(numeric(0), 0L, 2L)
  colnames(out) <- c("lower", "upper")
  out
}

#' Shortest interval containing a fraction `prob` of the draws
#' @noRd
hpd_interval <- function(v, prob = 0.95) {
  v <- sort(v)
  n <- length(v)
  m <- max(1L, min(n, ceiling(prob * n)))
  if (m >= n) return(c(v[1L], v[n]))
  widths <- v[m:n] - v[1:(n - m + 1L)]
  i <- which.min(widths)
  c(v[i], v[i + m - 1L])
}

#' Check a probability argument
#' @noRd
check_prob <- function(prob) {
  if (!is.numeric(prob) || length(prob) != 1L || is.na(prob) || prob <= 0 || prob >= 1) {
    stop("`prob` must be a single number between 0 and 1 (got ",
         paste(format(prob), collapse = ", "), ").", call. = FALSE)
  }
  invisible(prob)
}

## ---- VarCorr ---------------------------------------------------------------

#' Trait covariance matrices of a SLAMglmm fit
#'
#' Posterior means of the p x p trait covariance matrices of each
#' random-effect term m (for example the genetic covariance matrix G of an
#' animal term with a kinship matrix) and of the residual,
#' \deqn{G_m = \Lambda\,\mathrm{diag}(h^2_{F,m})\,\Lambda' + \mathrm{diag}(h^2_m \psi),}{G_m = Lambda diag(h2F_m) Lambda' + diag(h2_m psi),}
#' \deqn{R = \Lambda\,\mathrm{diag}(1 - \sum_m h^2_{F,m})\,\Lambda' + \mathrm{diag}((1 - \sum_m h^2_m) \psi),}{R = Lambda diag(1 - sum_m h2F_m) Lambda' + diag((1 - sum_m h2_m) psi),}
#' averaged over the saved draws, on the data scale; they add up to the
#' phenotypic covariance \eqn{P = \Lambda\Lambda' + \mathrm{diag}(\psi)}{P = Lambda Lambda' + diag(psi)}.
#' With no random-effect term the only component is `"Residual"` \eqn{= P}.
#' The posterior means are formed draw by draw, without storing a p x p matrix
#' per draw (in Rust when p is large), so they are cheap even for thousands of
#' traits. They do not depend on the order or the signs of the factors.
#'
#' @param x a fitted `SLAMglmm` object.
#' @param sigma ignored; present for compatibility with [lme4::VarCorr()].
#' @param interval if `TRUE`, also compute per-entry posterior intervals.
#'   This needs the p x p matrix of every draw and is allowed for at most 50
#'   traits (an error names the limit otherwise).
#' @param prob the probability mass of the intervals.
#' @param method `"quantile"` (equal-tailed) or `"hpd"` (highest posterior
#'   density, the shortest interval) intervals.
#' @param ... not used.
#' @return A list of class `"VarCorr.SLAMglmm"` of p x p matrices (dimnames:
#'   trait names), one per random-effect term (named by its grouping factor,
#'   in formula order) and `"Residual"` last. With `interval = TRUE` each matrix carries attributes
#'   `lower` and `upper` (p x p matrices) and the list carries `prob` and
#'   `method`. Use [stats::cov2cor()] on an element for the correlations of the
#'   posterior-mean matrix, or [genetic_cor()].
#' @seealso [genetic_cor()], [h2()], [as.data.frame.VarCorr.SLAMglmm()]
#' @examples
#' \donttest{
#' data(slam_pheno, slam_kinship)
#' fit <- SLAMglmm(cbind(y1, y2, y3) ~ sex + (1 | animal), data = slam_pheno,
#'                 relmat = list(animal = slam_kinship), n_factors = 2,
#'                 nitt = 600, burnin = 200, thin = 2, verbose = FALSE)
#' vc <- VarCorr(fit)
#' vc
#' vc$animal                       # posterior mean of G
#' VarCorr(fit, interval = TRUE)$animal
#' }
#' @method VarCorr SLAMglmm
#' @export
VarCorr.SLAMglmm <- function(x, sigma = 1, interval = FALSE, prob = 0.95,
                             method = c("quantile", "hpd"), ...) {
  method <- match.arg(method)
  if (!is.logical(interval) || length(interval) != 1L || is.na(interval)) {
    stop("`interval` must be TRUE or FALSE.", call. = FALSE)
  }
  if (interval) check_prob(prob)
  traits <- slam_traits(x)
  p <- length(traits)
  if (interval) check_p_for_draws(p, "VarCorr intervals")
  comps <- slam_cov_components(x)
  Lambda <- x$draws$Lambda
  threads <- slam_threads(x)
  out <- lapply(comps, function(cc) {
    S <- cov_mean(Lambda, cc$W, cc$D, threads = threads)
    dimnames(S) <- list(traits, traits)
    if (interval) {
      A <- cov_draws(Lambda, cc$W, cc$D)
      ci <- slam_intervals(matrix(A, p * p), prob, method)
      attr(S, "lower") <- matrix(ci[, 1L], p, p, dimnames = list(traits, traits))
      attr(S, "upper") <- matrix(ci[, 2L], p, p, dimnames = list(traits, traits))
    }
    S
  })
  names(out) <- names(comps)
  structure(out, class = "VarCorr.SLAMglmm", scale = slam_latent_scale(x),
            prob = if (interval) prob else NULL,
            method = if (interval) method else NULL)
}

#' @rdname VarCorr.SLAMglmm
#' @param digits number of significant digits to print.
#' @param max_traits correlations are printed only when there are at most this
#'   many traits; otherwise the first `max_traits` standard deviations are shown.
#' @method print VarCorr.SLAMglmm
#' @export
print.VarCorr.SLAMglmm <- function(x, digits = 3, max_traits = 10, ...) {
  prob <- attr(x, "prob")
  for (nm in names(x)) {
    S <- x[[nm]]
    p <- nrow(S)
    label <- if (nm == "Residual") "Residual" else paste0("Term: ", nm)
    cat(label, " (posterior-mean covariance, ", p, " trait", if (p != 1L) "s", ")\n", sep = "")
    sds <- sqrt(pmax(diag(S), 0))
    show <- seq_len(min(p, max_traits))
    tab <- data.frame(Std.Dev. = formatC(sds[show], digits = digits, format = "g"),
                      row.names = rownames(S)[show], check.names = FALSE)
    if (!is.null(attr(S, "lower"))) {
      lo <- sqrt(pmax(diag(attr(S, "lower")), 0))[show]
      up <- sqrt(pmax(diag(attr(S, "upper")), 0))[show]
      tab[[sprintf("%g%% interval", 100 * prob)]] <-
        paste0("[", formatC(lo, digits = digits, format = "g"), ", ",
               formatC(up, digits = digits, format = "g"), "]")
    }
    if (p > 1L && p <= max_traits) {
      R <- suppressWarnings(stats::cov2cor(S))
      cm <- formatC(R, digits = 2, format = "f")
      cm[upper.tri(cm, diag = TRUE)] <- ""
      cm <- cm[, -p, drop = FALSE]
      colnames(cm) <- rownames(S)[-p]
      tab <- cbind(tab, Corr = rep("", p), as.data.frame(cm, stringsAsFactors = FALSE))
      names(tab)[names(tab) == "Corr"] <- "Corr:"
    }
    print(tab, right = TRUE)
    if (p > max_traits) {
      cat("  ... ", p - max_traits, " more traits; correlations not shown (use ",
          "stats::cov2cor() on the matrix)\n", sep = "")
    }
    cat("\n")
  }
  sc <- attr(x, "scale")
  if (!is.null(sc) && any(sc != "data")) {
    cat("Scale: ", paste0(names(sc)[sc != "data"], " (", sc[sc != "data"], ")", collapse = ", "),
        "; other traits on the data scale.\n", sep = "")
  }
  if (!is.null(prob)) {
    cat("Intervals: ", 100 * prob, "% ", if (identical(attr(x, "method"), "hpd")) "HPD" else "equal-tailed",
        " posterior intervals of the standard deviations.\n", sep = "")
  }
  invisible(x)
}

#' @rdname VarCorr.SLAMglmm
#' @param row.names,optional not used (for compatibility with the generic).
#' @param order `"lower.tri"` (default) lists each pair of traits once
#'   (variances and the lower triangle of covariances); `"all"` lists every entry.
#' @return `as.data.frame()` gives a long data frame in the style of lme4:
#'   `grp`, `var1`, `var2` (`NA` for variances), `vcov` (covariance), `sdcor`
#'   (standard deviation or correlation of the posterior-mean matrix), and
#'   `lower`, `upper` (of `vcov`) when intervals were computed.
#' @method as.data.frame VarCorr.SLAMglmm
#' @export
as.data.frame.VarCorr.SLAMglmm <- function(x, row.names = NULL, optional = FALSE,
                                            order = c("lower.tri", "all"), ...) {
  order <- match.arg(order)
  rows <- lapply(names(x), function(nm) {
    S <- x[[nm]]
    p <- nrow(S)
    tr <- rownames(S)
    idx <- which(if (order == "all") matrix(TRUE, p, p) else lower.tri(S, diag = TRUE), arr.ind = TRUE)
    # variances first, then covariances, like lme4
    idx <- idx[order(idx[, 1L] != idx[, 2L], idx[, 2L], idx[, 1L]), , drop = FALSE]
    i <- idx[, 1L]
    j <- idx[, 2L]
    sds <- sqrt(pmax(diag(S), 0))
    is_var <- i == j
    sdcor <- ifelse(is_var, sds[i], S[cbind(i, j)] / (sds[i] * sds[j]))
    df <- data.frame(grp = nm, var1 = tr[j], var2 = ifelse(is_var, NA_character_, tr[i]),
                     vcov = S[cbind(i, j)], sdcor = sdcor, stringsAsFactors = FALSE)
    if (!is.null(attr(S, "lower"))) {
      df$lower <- attr(S, "lower")[cbind(i, j)]
      df$upper <- attr(S, "upper")[cbind(i, j)]
    }
    df
  })
  out <- do.call(rbind, rows)
  rownames(out) <- NULL
  out
}

## ---- genetic correlations ------------------------------------------------------

#' Genetic (random-effect) correlations among traits
#'
#' The correlation matrix of the posterior-mean covariance matrix of a
#' random-effect term, `cov2cor(VarCorr(fit)[[term]])`. With `interval = TRUE`
#' per-entry posterior intervals of the per-draw correlations are added (only for
#' at most 50 traits). Note that the estimate is the correlation of the
#' posterior-mean covariance, not the posterior mean of the correlation.
#'
#' @param fit a fitted `SLAMglmm` object with at least one random-effect term.
#' @param term the name (or index) of the random-effect term; default the first.
#'   `"Residual"` gives the residual correlations.
#' @param interval,prob,method as in [VarCorr.SLAMglmm()].
#' @return A p x p correlation matrix (with attributes `lower`, `upper` when
#'   `interval = TRUE`).
#' @seealso [VarCorr.SLAMglmm()]
#' @examples
#' \donttest{
#' data(slam_pheno, slam_kinship)
#' fit <- SLAMglmm(cbind(y1, y2, y3, y4) ~ sex + (1 | animal), data = slam_pheno,
#'                 relmat = list(animal = slam_kinship), n_factors = 2,
#'                 nitt = 600, burnin = 200, thin = 2, verbose = FALSE)
#' round(genetic_cor(fit), 2)
#' }
#' @export
genetic_cor <- function(fit, term = NULL, interval = FALSE, prob = 0.95,
                        method = c("quantile", "hpd")) {
  if (!inherits(fit, "SLAMglmm")) stop("`fit` must be a SLAMglmm fit.", call. = FALSE)
  method <- match.arg(method)
  comps <- slam_cov_components(fit)
  if (identical(term, "Residual")) {
    nm <- "Residual"
  } else {
    nm <- slam_terms(fit)[slam_term_index(fit, term)]
  }
  traits <- slam_traits(fit)
  p <- length(traits)
  cc <- comps[[nm]]
  S <- cov_mean(fit$draws$Lambda, cc$W, cc$D, threads = slam_threads(fit))
  Rm <- suppressWarnings(stats::cov2cor(S))
  dimnames(Rm) <- list(traits, traits)
  if (isTRUE(interval)) {
    check_prob(prob)
    check_p_for_draws(p, "genetic_cor intervals")
    A <- cov_draws(fit$draws$Lambda, cc$W, cc$D)
    C <- array(apply(A, 3L, function(s) suppressWarnings(stats::cov2cor(s))), dim(A))
    ci <- slam_intervals(matrix(C, p * p), prob, method)
    attr(Rm, "lower") <- matrix(ci[, 1L], p, p, dimnames = list(traits, traits))
    attr(Rm, "upper") <- matrix(ci[, 2L], p, p, dimnames = list(traits, traits))
  }
  Rm
}
