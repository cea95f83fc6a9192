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
  R <- H - X %*% Bhat
  U <- lapply(input$terms, function(t) {
    cnt <- colSums(t$Z)
    Um <- crossprod(t$Z, R) / pmax(cnt, 1)
    Um[cnt == 0, ] <- 0
    Um
  })
  M <- length(input$terms)
  grid <- as.matrix(input$h2_grid)
  G <- nrow(grid)
  gp <- sample.int(G, p * nT, replace = TRUE)
  gk <- sample.int(G, k * nT, replace = TRUE)
  h2 <- array(grid[gp, seq_len(M)], c(p, nT, M))
  h2F <- array(grid[gk, seq_len(M)], c(k, nT, M))
  nf <- sum(ifelse(input$family == "ordinal", pmax(input$n_categories - 2L, 0L), 0L)) +
    sum(input$family == "negbin")
  list(
    Lambda = array(stats::rnorm(p * k * nT), c(p, k, nT)),
    B = array(rep(Bhat, nT), c(b, p, nT)),
    BF = array(stats::rnorm(bF * k * nT), c(bF, k, nT)),
    psi = matrix(rep(psi_hat, nT), p, nT),
    h2 = aperm(h2, c(1L, 3L, 2L)),
    h2F = aperm(h2F, c(1L, 3L, 2L)),
    h2_total = array(stats::runif(p * M * nT), c(p, M, nT)),
    sigma2_b = matrix(ifelse(input$penalized, 0.5, NA_real_), b, nT),
    delta = matrix(1 + stats::rexp(k * nT), k, nT),
    family_params = matrix(stats::runif(nf * nT), nf, nT),
    U_mean = U,
    F_mean = matrix(stats::rnorm(n * k), n, k),
    H_mean = H,
    fitted = if (all(input$family == "gaussian")) matrix(0, 0L, 0L) else matrix(NaN, n, p),
    class_probs = list(),
    acceptance = rep(NaN, p),
    iterations = if (interrupted) as.integer(input$burnin + nT * input$thin) else
      as.integer(input$nitt),
    interrupted = interrupted,
    k_trace = if (isTRUE(input$adapt)) rep(as.integer(k), input$burnin) else integer(0),
    rotated = if (M) which.max(vapply(input$terms, function(t) ncol(t$Z), 1L)) else 0L
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
