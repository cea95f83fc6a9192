# Several chains: run them through the future framework and pool their draws.
#
# Each chain is the same bridge input with its own seed; the seeds are drawn in
# the calling session before any chain starts, so the draws depend on
# set.seed() only, never on the backend or the number of workers. Pooled fits
# hold the chains' draws side by side along the draw dimension, with
# `fit$mcmc$chain` saying which chain each draw came from; every extractor then
# pools the chains, and the diagnostics split them again.

#' The seeds of the chains
#'
#' Two numbers per chain from R's generator; chain 1 gets the first two, so a
#' one-chain fit is the fit of earlier versions for the same `set.seed()`.
#' @return A list of `chains` numeric vectors of length 2.
#' @noRd
slam_chain_seeds <- function(chains) {
  s <- as.double(sample.int(.Machine$integer.max, 2L * chains))
  lapply(seq_len(chains), function(c) s[2L * c - c(1L, 0L)])
}

#' Check the number of chains
#' @noRd
check_chains <- function(chains) {
  as.integer(check_number(chains, "chains", lower = 1, whole = TRUE))
}

#' Run the chains of one model
#'
#' With the default (sequential) plan the chains run here, one after the
#' other, each with the sampler's console progress bar; Ctrl-C stops the
#' running chain (which keeps what it sampled) and the chains after it are not
#' started. With any other `future::plan()` (multisession, cluster,
#' future.batchtools) they run through [future.apply::future_lapply()]; their
#' progress is reported through progressr (one tick per percent of each
#' chain), which the calling session shows where the backend relays progress.
#' The inputs, seeds included, are made before, so the draws are the same
#' either way.
#'
#' @param inputs one complete bridge input per chain (each with its seed).
#' @return A list of raw sampler outputs, one per chain run (fewer than
#'   `inputs` when a sequential run was interrupted).
#' @noRd
slam_run_chains <- function(inputs) {
  C <- length(inputs)
  verbose <- isTRUE(inputs[[1L]]$verbose)
  if (C == 1L || inherits(future::plan(), "sequential")) {
    out <- list()
    for (c in seq_len(C)) {
      if (verbose && C > 1L) message("SLAMglmm: chain ", c, " of ", C)
      out[[c]] <- slam_run_sampler(inputs[[c]])
      if (isTRUE(as.logical(out[[c]]$interrupted)) && c < C) {
        warning("interrupted in chain ", c, ": chains ", c + 1L, "-", C, " were not run", call. = FALSE)
        break
      }
    }
    return(out)
  }
  inputs <- lapply(inputs, function(x) {
    x$verbose <- FALSE
    x
  })
  steps <- 100L * C
  run <- function() {
    tick <- if (verbose) progressr::progressor(steps = steps) else NULL
    future.apply::future_lapply(inputs, function(x) {
      if (!is.null(tick)) x$progress <- function(done) tick(amount = done)
      slam_run_sampler(x)
    }, future.seed = TRUE, future.packages = "SLAMglmm")
  }
  if (verbose) {
    message("SLAMglmm: ", C, " chains through future (", future::nbrOfWorkers(), " worker",
            if (future::nbrOfWorkers() != 1) "s", ")")
    progressr::with_progress(run())
  } else {
    run()
  }
}

#' Pool the fits of several chains into one
#'
#' The draws are bound along their last (draw) dimension in chain order;
#' `mcmc$chain` gives each draw's chain. Chains may end burn-in with different
#' numbers of factors: factor dimensions are padded to the largest number with
#' zero loadings, zero factor fixed effects and factor shares, and NA
#' multipliers (a factor without loadings adds nothing to any covariance).
#' Factors are identified only up to order and sign, so factor-level
#' quantities (`Lambda`, `BF`, `h2F`, `delta`, `F_mean`) do not correspond
#' between chains; every identified quantity (fixed effects, heritabilities,
#' covariance matrices, family parameters, genetic values, fitted values)
#' pools correctly. Posterior means (`U_mean`, `H_mean`, fitted values, class
#' probabilities, probe effects) are averaged over chains weighted by their
#' numbers of draws; `F_mean` is that of chain 1, and each chain's own is kept
#' in `mcmc$per_chain`.
#'
#' @param fits a list of one-chain fits from [slam_assemble_fit()].
#' @param seeds the chains' seeds.
#' @return One `"SLAMglmm"` fit.
#' @noRd
slam_combine_chains <- function(fits, seeds) {
  C <- length(fits)
  nT <- vapply(fits, slam_n_draws, 1L)
  per_chain <- lapply(seq_len(C), function(c) {
    f <- fits[[c]]
    list(seed = seeds[[c]], n_saved = nT[c], iterations = f$mcmc$iterations,
         started_at = f$mcmc$started_at, interrupted = f$mcmc$interrupted,
         n_factors = f$n_factors, k_trace = f$mcmc$k_trace, acceptance = f$acceptance,
         F_mean = f$F_mean, state = f$mcmc$state, draws_dir = f$mcmc$draws_dir,
         numerical_failures = f$mcmc$numerical_failures)
  })
  fit <- fits[[1L]]
  fit$mcmc$state <- NULL
  fit$mcmc$started_at <- NULL
  fit$mcmc$draws_dir <- NULL
  fit$mcmc$seed <- seeds[[1L]]
  fit$mcmc$chains <- C
  fit$mcmc$chain <- rep(seq_len(C), nT)
  fit$mcmc$per_chain <- per_chain
  fit$mcmc$numerical_failures <- Reduce(`+`, lapply(fits, function(f) f$mcmc$numerical_failures))
  if (C == 1L) return(fit)

  k <- max(vapply(fits, function(f) as.integer(f$n_factors), 1L))
  fac <- if (k > 0L) paste0("F", seq_len(k)) else character(0)
  # pad the factor dimension `dim` of a draws array to k with `fill`
  pad <- function(A, dim, fill) {
    d <- dim(A)
    if (d[dim] == k) return(A)
    nd <- d
    nd[dim] <- k
    out <- array(fill, nd)
    idx <- lapply(d, seq_len)
    out <- do.call(`[<-`, c(list(out), idx, list(value = A)))
    dn <- dimnames(A)
    if (!is.null(dn)) dn[[dim]] <- fac
    dimnames(out) <- dn
    out
  }
  bind <- function(name, dim = NULL, fill = 0) {
    if (name == "Lambda" && inherits(fits[[1L]]$draws$Lambda, "slam_disk_array")) {
      first <- unclass(fits[[1L]]$draws$Lambda)
      parts <- unlist(lapply(fits, function(f) unclass(f$draws$Lambda)$parts), recursive = FALSE)
      return(slam_disk_array(parts, p = first$p, k = k, scale = first$scale,
                             dimnames = list(first$dimnames[[1L]], fac, NULL)))
    }
    bind_draws(lapply(fits, function(f) {
      A <- f$draws[[name]]
      if (!is.null(dim) && !is.null(A)) A <- pad(A, dim, fill)
      A
    }))
  }
  fit$draws <- list(
    Lambda = bind("Lambda", 2L),
    B = bind("B"),
    BF = bind("BF", 2L),
    psi = bind("psi"),
    h2 = bind("h2"),
    h2F = bind("h2F", 1L),
    h2_total = bind("h2_total"),
    sigma2_b = bind("sigma2_b"),
    delta = bind("delta", 1L, NA_real_),
    family = bind("family")
  )
  w <- nT / sum(nT)
  avg <- function(get) {
    xs <- lapply(fits, get)
    if (is.null(xs[[1L]])) return(NULL)
    out <- Reduce(`+`, Map(function(x, wc) x * wc, xs, w))
    attributes(out) <- attributes(xs[[1L]])
    out
  }
  fit$U_mean <- stats::setNames(lapply(seq_along(fit$U_mean), function(i) avg(function(f) f$U_mean[[i]])),
                                names(fit$U_mean))
  fit$H_mean <- avg(function(f) f$H_mean)
  if (!is.null(fit$mu_mean)) {
    m2 <- avg(function(f) f$mu_sd^2 + f$mu_mean^2)
    fit$mu_mean <- avg(function(f) f$mu_mean)
    fit$mu_sd <- sqrt(pmax(m2 - fit$mu_mean^2, 0))
  }
  fit$fitted_response <- avg(function(f) f$fitted_response)
  fit$class_probs <- stats::setNames(lapply(seq_along(fit$class_probs),
                                            function(i) avg(function(f) f$class_probs[[i]])),
                                     names(fit$class_probs))
  if (!is.null(fit$probe_effects)) fit$probe_effects <- slam_pool_probe_effects(fits, w)
  fit$acceptance <- avg(function(f) f$acceptance)
  fit$n_factors <- k
  fit$mcmc$iterations <- min(vapply(per_chain, function(p) as.integer(p$iterations), 1L))
  fit$mcmc$n_saved <- sum(nT)
  fit$mcmc$interrupted <- any(vapply(per_chain, function(p) isTRUE(p$interrupted), TRUE))
  fit
}

#' Draws arrays bound along their last (draw) dimension, in order; parts
#' without draws are left out, the leading dimensions and their names are the
#' first part's
#' @noRd
bind_draws <- function(parts) {
  if (is.null(parts[[1L]])) return(NULL)
  last <- function(A) dim(A)[length(dim(A))]
  keep <- Filter(function(A) last(A) > 0L, parts)
  if (!length(keep)) return(parts[[1L]])
  d <- dim(keep[[1L]])
  nd <- length(d)
  out <- array(unlist(keep, use.names = FALSE), c(d[-nd], sum(vapply(keep, last, 1L))))
  dn <- dimnames(keep[[1L]])
  if (!is.null(dn)) {
    dn[nd] <- list(NULL)
    dimnames(out) <- dn
  }
  out
}

#' Pool probe effects over chains: means weighted by draws, sds from the pooled
#' second moments
#' @noRd
slam_pool_probe_effects <- function(fits, w) {
  pe <- lapply(fits, function(f) f$probe_effects)
  out <- pe[[1L]]
  num <- vapply(out, is.numeric, TRUE)
  for (nm in names(out)[num]) {
    if (grepl("_sd$", nm)) next
    sdn <- paste0(nm, "_sd")
    m <- Reduce(`+`, Map(function(x, wc) x[[nm]] * wc, pe, w))
    if (sdn %in% names(out)) {
      m2 <- Reduce(`+`, Map(function(x, wc) (x[[sdn]]^2 + x[[nm]]^2) * wc, pe, w))
      out[[sdn]] <- sqrt(pmax(m2 - m^2, 0))
    }
    out[[nm]] <- m
  }
  out
}
