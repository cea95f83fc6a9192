# A pure-R stand-in for the Rust sampler: returns output of the shapes of the
# bridge contract (src/rust/README.md), on the standardised scale, so that the
# R front end (parsing, back-transform, fit object) can be tested without Rust.
#
# The numbers are chosen so that the back-transform can be checked exactly:
# * B (every draw) is the least-squares fit of the standardised complete-case
#   rows of each trait on X;
# * psi (every draw) is the residual variance of that fit;
# * H_mean is the standardised Y with NA replaced by the fitted value;
# * U_mean is the per-level mean of the standardised residual (0 for levels
#   without data);
# * everything else is random with the right shape.
mock_sampler <- function(input, n_saved = NULL, interrupted = FALSE) {
  Y <- input$Y
  X <- input$X
  n <- nrow(Y)
  p <- ncol(Y)
  b <- ncol(X)
  bF <- ncol(input$XF)
  k <- input$k
  nT <- if (is.null(n_saved)) (input$nitt - input$burnin) %/% input$thin else n_saved

  Bhat <- matrix(0, b, p)
  psi_hat <- numeric(p)
  H <- Y
  for (j in seq_len(p)) {
    obs <- !is.na(Y[, j])
    fitj <- stats::lm.fit(X[obs, , drop = FALSE], Y[obs, j])
    Bhat[, j] <- fitj$coefficients
    psi_hat[j] <- sum(fitj$residuals^2) / sum(obs)
    H[!obs, j] <- X[!obs, , drop = FALSE] %*% Bhat[, j]
  }
  U <- NULL
  if (!is.null(input$Z)) {
    r <- ncol(input$Z)
    R <- H - X %*% Bhat
    cnt <- colSums(input$Z)
    U <- crossprod(input$Z, R) / pmax(cnt, 1)
    U[cnt == 0, ] <- 0
  }
  U_extra <- lapply(input$Z_extra, function(Zm) {
    R <- H - X %*% Bhat
    cnt <- colSums(Zm)
    Um <- crossprod(Zm, R) / pmax(cnt, 1)
    Um[cnt == 0, ] <- 0
    Um
  })
  M <- as.integer(!is.null(input$Z)) + length(input$Z_extra)
  grid <- as.matrix(input$h2_grid)
  G <- nrow(grid)
  gp <- sample.int(G, p * nT, replace = TRUE)
  gk <- sample.int(G, k * nT, replace = TRUE)
  h2_terms <- array(grid[gp, seq_len(M)], c(p, nT, M))
  h2F_terms <- array(grid[gk, seq_len(M)], c(k, nT, M))
  list(
    Lambda = array(stats::rnorm(p * k * nT), c(p, k, nT)),
    B = array(rep(Bhat, nT), c(b, p, nT)),
    BF = array(stats::rnorm(bF * k * nT), c(bF, k, nT)),
    psi = matrix(rep(psi_hat, nT), p, nT),
    h2 = matrix(grid[gp, 1L], p, nT),
    h2F = matrix(grid[gk, 1L], k, nT),
    h2_total = matrix(stats::runif(p * nT), p, nT),
    sigma2_b = matrix(ifelse(input$penalized, 0.5, NA_real_), b, nT),
    delta = matrix(1 + stats::rexp(k * nT), k, nT),
    U_mean = U,
    F_mean = matrix(stats::rnorm(n * k), n, k),
    H_mean = H,
    iterations = if (interrupted) as.integer(input$burnin + nT * input$thin) else
      as.integer(input$nitt),
    interrupted = interrupted,
    k_trace = if (isTRUE(input$adapt)) rep(as.integer(k), input$burnin) else integer(0),
    h2_terms = aperm(h2_terms, c(1L, 3L, 2L)),
    h2F_terms = aperm(h2F_terms, c(1L, 3L, 2L)),
    h2_total_terms = array(stats::runif(p * M * nT), c(p, M, nT)),
    U_mean_extra = U_extra
  )
}

# Simulated data used by several test files: n rows, 3 traits on very
# different scales, a covariate, a sex factor, and an animal id.
mock_data <- function(n = 60, seed = 1) {
  set.seed(seed)
  d <- data.frame(
    animal = sprintf("a%03d", seq_len(n)),
    sex = factor(sample(c("F", "M"), n, replace = TRUE)),
    x = stats::rnorm(n)
  )
  d$y1 <- 10 + 2 * d$x + stats::rnorm(n)
  d$y2 <- -500 + 100 * (d$sex == "M") + stats::rnorm(n, sd = 30)
  d$y3 <- 0.01 * d$x + stats::rnorm(n, sd = 0.001)
  d
}

# A kinship-like matrix on ids (random PSD matrix with unit-ish diagonal).
mock_kinship <- function(ids, seed = 2) {
  set.seed(seed)
  m <- length(ids)
  A <- matrix(stats::rnorm(m * 3), m, 3)
  K <- tcrossprod(A) / 3 + diag(m)
  dimnames(K) <- list(ids, ids)
  K
}
