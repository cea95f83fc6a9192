# End-to-end fits with the real (Rust) sampler: the R front end and the
# sampler together. Small, fast runs; statistical checks are in
# test-fit-lme4.R and in the sampler's own tests.

small_data <- function(n = 80, seed = 3) {
  set.seed(seed)
  d <- data.frame(id = sprintf("i%03d", seq_len(n)),
                  sex = factor(sample(c("F", "M"), n, replace = TRUE)))
  f <- rnorm(n)
  d$y1 <- 10 + f + rnorm(n, sd = 0.5)
  d$y2 <- -200 + 50 * f + rnorm(n, sd = 20)
  d$y3 <- 0.01 * (d$sex == "M") + 0.02 * f + rnorm(n, sd = 0.01)
  d
}

test_that("a multi-trait fit with a kinship matrix returns the documented object", {
  d <- small_data()
  d$y1[c(3, 7)] <- NA
  d[5, c("y1", "y2", "y3")] <- NA                 # an individual with no observation
  K <- mock_kinship(c("new1", rev(d$id), "new2"))  # extra levels to be predicted
  set.seed(10)
  fit <- SLAMglmm(cbind(y1, y2, y3) ~ sex + (1 | id), data = d, relmat = list(id = K),
                  n_factors = 2, nitt = 60, burnin = 20, thin = 4, threads = 1,
                  verbose = FALSE)
  expect_s3_class(fit, "SLAMglmm")
  expect_identical(fit$levels$id, rownames(K))
  expect_identical(fit$mcmc$n_saved, 10L)
  k <- fit$n_factors
  expect_identical(dim(fit$draws$Lambda), c(3L, k, 10L))
  expect_identical(dim(fit$draws$B), c(2L, 3L, 10L))
  expect_identical(dim(fit$draws$BF), c(1L, k, 10L))
  expect_identical(dim(fit$U_mean$id), c(nrow(K), 3L))
  expect_identical(dim(fit$H_mean), c(80L, 3L))
  for (nm in c("Lambda", "B", "BF", "psi", "h2", "h2F", "h2_total", "delta")) {
    expect_true(all(is.finite(fit$draws[[nm]])), info = nm)
  }
  expect_true(all(is.finite(fit$H_mean)))
  expect_true(all(is.finite(fit$U_mean$id)))
  expect_true(all(fit$draws$psi > 0))
  expect_true(all(fit$draws$h2 %in% fit$prior$h2_grid))
  # observed entries of H are the data
  obs <- !is.na(fit$Y)
  expect_equal(fit$H_mean[obs], fit$Y[obs])
  # intercepts on the data scale
  expect_lt(abs(mean(fit$draws$B["(Intercept)", "y2", ]) - mean(d$y2[d$sex == "F"])), 30)
  # psi on the data scale: below the trait's variance, above a tiny fraction of it
  v <- apply(fit$Y, 2, var, na.rm = TRUE)
  expect_true(all(rowMeans(fit$draws$psi) < 2 * v))
  expect_true(all(rowMeans(fit$draws$psi) > 1e-4 * v))
})

test_that("set.seed() fixes every draw, and 1 and 2 threads give the same draws", {
  d <- small_data()
  K <- mock_kinship(d$id)
  run <- function(threads) {
    set.seed(42)
    SLAMglmm(cbind(y1, y2, y3) ~ sex + (1 | id), data = d, relmat = list(id = K),
             n_factors = 2, nitt = 30, burnin = 10, thin = 2, threads = threads,
             verbose = FALSE)
  }
  a <- run(1)
  b <- run(1)
  c2 <- run(2)
  expect_identical(a$mcmc$seed, b$mcmc$seed)
  expect_identical(a$draws, b$draws)
  expect_identical(a$draws, c2$draws)
  expect_identical(a$H_mean, c2$H_mean)
  set.seed(43)
  other <- SLAMglmm(cbind(y1, y2, y3) ~ sex + (1 | id), data = d, relmat = list(id = K),
                    n_factors = 2, nitt = 30, burnin = 10, thin = 2, verbose = FALSE)
  expect_false(identical(a$draws$psi, other$draws$psi))
})

test_that("one trait without factors and without a random term works", {
  d <- small_data()
  set.seed(5)
  fit <- SLAMglmm(y2 ~ sex, data = d, n_factors = 0, nitt = 200, burnin = 50, thin = 1,
                  verbose = FALSE)
  expect_identical(fit$terms, character(0))
  expect_identical(fit$prior$h2_grid, 0)
  expect_true(all(fit$draws$h2 == 0))
  expect_identical(dim(fit$draws$B), c(2L, 1L, 150L))
  ls <- coef(lm(y2 ~ sex, d))
  expect_lt(abs(mean(fit$draws$B[1, 1, ]) - ls[[1]]), 15)
  expect_lt(abs(mean(fit$draws$psi) / summary(lm(y2 ~ sex, d))$sigma^2 - 1), 0.3)
})

test_that("an identity relmat in level order gives the same design as no relmat", {
  d <- small_data()
  d$grp <- factor(rep(sprintf("g%02d", 1:16), each = 5))
  I16 <- diag(16)
  dimnames(I16) <- list(levels(d$grp), levels(d$grp))
  set.seed(9)
  f1 <- SLAMglmm(cbind(y1, y2) ~ (1 | grp), data = d, n_factors = 1, nitt = 20,
                 burnin = 5, thin = 3, verbose = FALSE)
  set.seed(9)
  f2 <- SLAMglmm(cbind(y1, y2) ~ (1 | grp), data = d, relmat = list(grp = I16),
                 n_factors = 1, nitt = 20, burnin = 5, thin = 3, verbose = FALSE)
  expect_identical(f1$levels, f2$levels)
  expect_identical(dimnames(f1$U_mean$grp), dimnames(f2$U_mean$grp))
  expect_false(f1$relmat_given[["grp"]])
  expect_true(f2$relmat_given[["grp"]])
})

test_that("relmat rows are matched by name: another order and extra levels give the same fit", {
  d <- small_data()
  Kall <- mock_kinship(c(d$id, sprintf("x%02d", 1:15)))
  K1 <- Kall[d$id, d$id]                 # data order, only the levels in the data
  o <- rev(rownames(Kall))
  K2 <- Kall[o, o]                       # reversed, with 15 extra levels
  fit_k <- function(K) {
    set.seed(5)
    SLAMglmm(cbind(y1, y2, y3) ~ sex + (1 | id), data = d, relmat = list(id = K),
             n_factors = 2, nitt = 40, burnin = 10, thin = 3, verbose = FALSE)
  }
  f1 <- fit_k(K1)
  f2 <- fit_k(K2)
  # Z K Z' is the same matrix in both cases, so the chains are the same
  expect_equal(f1$draws, f2$draws)
  expect_identical(f2$levels$id, o)
  expect_equal(f2$U_mean$id[d$id, ], f1$U_mean$id[d$id, ])
  # the extra levels are predicted through K (not left at zero)
  extra <- setdiff(o, d$id)
  expect_true(all(is.finite(f2$U_mean$id[extra, ])))
  expect_true(any(abs(f2$U_mean$id[extra, ]) > 0))
})

test_that("an interrupted run warns and returns the draws saved so far", {
  # an elapsed-time limit takes the same path in the sampler as Ctrl-C
  d <- small_data()
  set.seed(4)
  fit <- NULL
  expect_warning(
    # R prints the time-limit error caught inside the sampler to stderr: keep
    # it out of the test output
    utils::capture.output(type = "message", local({
      setTimeLimit(elapsed = 1, transient = TRUE)
      on.exit(setTimeLimit(elapsed = Inf))
      fit <<- SLAMglmm(cbind(y1, y2, y3) ~ sex + (1 | id), data = d, n_factors = 2,
                       nitt = 5e7, burnin = 10, thin = 10, verbose = FALSE)
    })),
    "sampling interrupted after [0-9]+ iterations; returning the draws saved so far")
  setTimeLimit(elapsed = Inf)
  expect_s3_class(fit, "SLAMglmm")
  expect_true(fit$mcmc$interrupted)
  expect_lt(fit$mcmc$iterations, 5e7)
  expect_identical(dim(fit$draws$psi)[2], fit$mcmc$n_saved)
  expect_true(fit$mcmc$n_saved <= (fit$mcmc$iterations - 10) %/% 10)
  expect_true(all(is.finite(fit$draws$psi)))
})

test_that("errors in the arguments stop before the sampler runs", {
  d <- small_data()
  expect_error(SLAMglmm(cbind(y1, y2) ~ sex, data = d, nitt = 10, burnin = 20),
               "`nitt` \\(10\\) must be greater than `burnin` \\(20\\)")
  expect_error(SLAMglmm(cbind(y1, y2) ~ sex, data = d, prior = list(R = list(VV = 1))),
               "prior\\$R\\$VV is not a known element")
})
