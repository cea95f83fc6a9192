# The fit is on the data scale (every draw is transformed back in R): checks
# through the real sampler on the shipped example data.

load_example <- function(env = parent.frame()) {
  utils::data("slam_pheno", "slam_kinship", package = "SLAMglmm", envir = env)
}

fit_example <- function(d, K, seed = 3, ...) {
  set.seed(seed)
  SLAMglmm(cbind(y1, y2, y3, y4, y5, y6, y7, y8) ~ sex + (1 | animal), data = d,
           relmat = list(animal = K), verbose = FALSE, ...)
}

test_that("changing a trait's units changes its draws by exactly the same units", {
  load_example()
  d2 <- slam_pheno
  d2$y5 <- 1e4 + 1000 * slam_pheno$y5     # new origin and units
  d2$y2 <- -3 + 0.001 * slam_pheno$y2
  a <- fit_example(slam_pheno, slam_kinship, n_factors = 3, nitt = 300, burnin = 100, thin = 4)
  b <- fit_example(d2, slam_kinship, n_factors = 3, nitt = 300, burnin = 100, thin = 4)
  # the standardised data are the same up to rounding, hence the same chain
  expect_equal(b$draws$h2, a$draws$h2)
  expect_equal(b$draws$h2F, a$draws$h2F)
  expect_equal(b$draws$h2_total, a$draws$h2_total)
  expect_equal(b$draws$BF, a$draws$BF)
  expect_equal(b$draws$delta, a$draws$delta)
  expect_equal(b$draws$sigma2_b, a$draws$sigma2_b)
  expect_equal(b$F_mean, a$F_mean)
  # the two rescaled traits, on their own scales
  expect_equal(b$draws$Lambda["y5", , ], 1000 * a$draws$Lambda["y5", , ])
  expect_equal(b$draws$Lambda["y2", , ], 0.001 * a$draws$Lambda["y2", , ])
  expect_equal(b$draws$B["(Intercept)", "y5", ], 1e4 + 1000 * a$draws$B["(Intercept)", "y5", ])
  expect_equal(b$draws$B["sexM", "y5", ], 1000 * a$draws$B["sexM", "y5", ])
  expect_equal(b$draws$B["(Intercept)", "y2", ], -3 + 0.001 * a$draws$B["(Intercept)", "y2", ])
  expect_equal(b$draws$psi["y5", ], 1e6 * a$draws$psi["y5", ])
  expect_equal(b$draws$psi["y2", ], 1e-6 * a$draws$psi["y2", ])
  expect_equal(b$U_mean$animal[, "y5"], 1000 * a$U_mean$animal[, "y5"])
  expect_equal(b$H_mean[, "y5"], 1e4 + 1000 * a$H_mean[, "y5"])
  # the other traits are untouched
  other <- setdiff(a$traits, c("y2", "y5"))
  expect_equal(b$draws$psi[other, ], a$draws$psi[other, ])
  expect_equal(b$draws$Lambda[other, , ], a$draws$Lambda[other, , ])
  expect_equal(b$data_scale$center[["y5"]], 1e4 + 1000 * a$data_scale$center[["y5"]])
  expect_equal(b$data_scale$scale[["y5"]], 1000 * a$data_scale$scale[["y5"]])
})

test_that("the fitted phenotypic covariance matches the data on the data scale", {
  load_example()
  fit <- fit_example(slam_pheno, slam_kinship, n_factors = 5, nitt = 3000, burnin = 1000,
                     thin = 4)
  dr <- fit$draws
  p <- length(fit$traits)
  nT <- dim(dr$psi)[2]
  P <- matrix(0, p, p)
  for (t in seq_len(nT)) {
    L <- matrix(dr$Lambda[, , t], p)
    P <- P + (tcrossprod(L) + diag(dr$psi[, t])) / nT
  }
  res <- sapply(fit$traits, function(j) {
    stats::residuals(stats::lm(stats::reformulate("sex", j), slam_pheno, na.action = stats::na.exclude))
  })
  S <- stats::cov(res, use = "pairwise.complete.obs")
  # variances: traits differ in scale by a factor of 300; each within 15%
  expect_true(all(abs(diag(P) / diag(S) - 1) < 0.15))
  # correlations: the sparse factor structure reproduces the sample correlations
  cP <- stats::cov2cor(P)
  cS <- stats::cov2cor(S)
  up <- upper.tri(cP)
  expect_gt(stats::cor(cP[up], cS[up]), 0.95)
  expect_lt(max(abs(cP[up] - cS[up])), 0.2)
})
