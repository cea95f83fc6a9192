# Fake SLAMglmm fit objects with known draws, for testing the methods without
# running the sampler. Shapes and names follow the fit object of SLAMglmm().

make_fake_fit <- function(p = 4L, k = 2L, nT = 40L, n = 30L, term = "animal",
                          n_levels = n, fixed = c("(Intercept)", "sexM"),
                          fixed_F = "sexM", seed = 1L, missing = 3L) {
  set.seed(seed)
  traits <- paste0("y", seq_len(p))
  fac <- if (k > 0L) paste0("F", seq_len(k)) else character(0)
  b <- length(fixed)
  bF <- if (k > 0L) length(fixed_F) else 0L
  if (bF == 0L) fixed_F <- character(0)

  Lambda <- array(stats::rnorm(p * k * nT, sd = 0.7), c(p, k, nT), dimnames = list(traits, fac, NULL))
  psi <- matrix(stats::rgamma(p * nT, shape = 20, rate = 40), p, nT, dimnames = list(traits, NULL))
  B <- array(stats::rnorm(b * p * nT), c(b, p, nT), dimnames = list(fixed, traits, NULL))
  BF <- array(stats::rnorm(bF * k * nT, sd = 0.3), c(bF, k, nT), dimnames = list(fixed_F, fac, NULL))
  delta <- matrix(stats::rgamma(k * nT, 3, 1), k, nT, dimnames = list(fac, NULL))
  sigma2_b <- matrix(stats::rgamma(b * nT, 2, 2), b, nT, dimnames = list(fixed, NULL))
  sigma2_b[1L, ] <- NA

  has_term <- length(term) > 0L
  if (has_term) {
    h2 <- matrix(stats::runif(p * nT, 0.05, 0.6), p, nT, dimnames = list(traits, NULL))
    h2F <- matrix(stats::runif(k * nT, 0, 0.9), k, nT, dimnames = list(fac, NULL))
    gd <- h2 * psi
    pd <- psi
    for (t in seq_len(nT)) {
      L2 <- matrix(Lambda[, , t]^2, p, k)
      gd[, t] <- gd[, t] + L2 %*% h2F[, t]
      pd[, t] <- pd[, t] + rowSums(L2)
    }
    h2_total <- gd / pd
    dimnames(h2_total) <- list(traits, NULL)
    lev <- sprintf("L%03d", seq_len(n_levels))
    U_mean <- list(matrix(stats::rnorm(n_levels * p), n_levels, p, dimnames = list(lev, traits)))
    names(U_mean) <- term
    levels <- list(lev)
    names(levels) <- term
    relmat_given <- c(TRUE)
    names(relmat_given) <- term
  } else {
    h2 <- h2F <- h2_total <- NULL
    U_mean <- list()
    levels <- list()
    relmat_given <- logical(0)
  }
  Y <- matrix(stats::rnorm(n * p), n, p, dimnames = list(NULL, traits))
  if (missing > 0L) Y[sample.int(n * p, missing)] <- NA
  H <- Y
  H[is.na(H)] <- 0.1
  form <- if (has_term) {
    stats::as.formula(paste0("cbind(", paste(traits, collapse = ", "), ") ~ sex + (1 | ", term, ")"))
  } else {
    stats::as.formula(paste0("cbind(", paste(traits, collapse = ", "), ") ~ sex"))
  }
  fit <- list(
    call = quote(SLAMglmm(formula = Y ~ sex + (1 | animal), data = dat)),
    formula = form, factor_formula = ~ sex - 1, traits = traits, n = n,
    fixed = fixed, fixed_F = fixed_F, terms = if (has_term) term else character(0),
    levels = levels, relmat_given = relmat_given,
    data_scale = list(center = stats::setNames(rep(0, p), traits), scale = stats::setNames(rep(1, p), traits)),
    draws = list(Lambda = Lambda, B = B, BF = BF, psi = psi, h2 = h2, h2F = h2F,
                 h2_total = h2_total, sigma2_b = sigma2_b, delta = delta),
    U_mean = U_mean,
    F_mean = matrix(stats::rnorm(n * k), n, k, dimnames = list(NULL, fac)),
    H_mean = H, Y = Y, n_factors = k,
    prior = list(h2_grid = seq(0, 0.95, by = 0.05)),
    mcmc = list(nitt = 1000L + 5L * nT, burnin = 1000L, thin = 5L, iterations = 1000L + 5L * nT,
                n_saved = nT, interrupted = FALSE, threads = 1L, seed = c(11L, 22L))
  )
  class(fit) <- "SLAMglmm"
  fit
}

# Apply, draw by draw, a permutation and sign flips of the factor columns.
# Every quantity indexed by factors (Lambda columns, h2F, BF columns, delta,
# F_mean) is permuted consistently; identified quantities must not change.
permute_flip_factors <- function(fit, seed = 99L) {
  set.seed(seed)
  k <- dim(fit$draws$Lambda)[2L]
  nT <- dim(fit$draws$Lambda)[3L]
  dr <- fit$draws
  for (t in seq_len(nT)) {
    perm <- sample.int(k)
    s <- sample(c(-1, 1), k, replace = TRUE)
    dr$Lambda[, , t] <- sweep(matrix(fit$draws$Lambda[, perm, t], ncol = k), 2L, s, `*`)
    if (!is.null(dr$h2F)) dr$h2F[, t] <- fit$draws$h2F[perm, t]
    if (dim(dr$BF)[1L] > 0L) {
      dr$BF[, , t] <- sweep(matrix(fit$draws$BF[, perm, t], ncol = k), 2L, s, `*`)
    }
    dr$delta[, t] <- fit$draws$delta[perm, t]
  }
  fit$draws <- dr
  fit
}

# Hand computation of the posterior-mean covariance matrices of a fake fit
# with a single random term: returns list(G, R, P).
hand_cov <- function(fit) {
  dr <- fit$draws
  p <- dim(dr$Lambda)[1L]
  k <- dim(dr$Lambda)[2L]
  nT <- dim(dr$Lambda)[3L]
  G <- R <- P <- matrix(0, p, p)
  for (t in seq_len(nT)) {
    L <- matrix(dr$Lambda[, , t], p, k)
    if (!is.null(dr$h2)) {
      Gt <- L %*% diag(dr$h2F[, t], k) %*% t(L) + diag(dr$h2[, t] * dr$psi[, t], p)
      Rt <- L %*% diag(1 - dr$h2F[, t], k) %*% t(L) + diag((1 - dr$h2[, t]) * dr$psi[, t], p)
    } else {
      Gt <- matrix(0, p, p)
      Rt <- L %*% t(L) + diag(dr$psi[, t], p)
    }
    G <- G + Gt / nT
    R <- R + Rt / nT
    P <- P + (Gt + Rt) / nT
  }
  list(G = G, R = R, P = P)
}

# Animal ids of the example data.
slam_pheno_ids <- function() {
  e <- new.env()
  utils::data("slam_pheno", package = "SLAMglmm", envir = e)
  e$slam_pheno$animal
}
