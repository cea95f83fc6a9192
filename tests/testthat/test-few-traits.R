# Defaults for few traits (issue 10): (M + 1) p factors, kept, so that genetic and residual
# correlations of opposite signs can both be fitted (the adaptive rule could keep one factor).

test_that("few traits: (M + 1) p factors without adaptation, unless the user says otherwise", {
  data(slam_pheno, slam_kinship, package = "SLAMglmm", envir = environment())
  set.seed(1)
  fit <- SLAMglmm(cbind(y1, y2) ~ sex + (1 | animal), data = slam_pheno,
                  relmat = list(animal = slam_kinship), nitt = 30, burnin = 10, thin = 1,
                  verbose = FALSE)
  expect_identical(fit$n_factors, 4L)
  expect_false(isTRUE(fit$mcmc$adapt))
  # numerical failures are counted per block (none here)
  expect_identical(fit$mcmc$numerical_failures, c(traits = 0L, factor_fixed = 0L, scores = 0L))
  set.seed(1)
  fit2 <- SLAMglmm(cbind(y1, y2) ~ sex + (1 | animal), data = slam_pheno,
                   relmat = list(animal = slam_kinship), n_factors = 1, nitt = 30, burnin = 10,
                   thin = 1, verbose = FALSE)
  expect_identical(fit2$n_factors, dim(fit2$draws$Lambda)[2L])
  expect_true(isTRUE(fit2$mcmc$adapt))
  expect_error(SLAMglmm(cbind(y1, y2) ~ sex + (1 | animal), data = slam_pheno,
                        relmat = list(animal = slam_kinship), adapt = "yes", verbose = FALSE),
               class = "slamglmm_input_error")
})

test_that("two traits with genetic and residual correlations of opposite signs are both recovered", {
  skip_on_cran()
  data(slam_kinship, package = "SLAMglmm", envir = environment())
  K <- slam_kinship
  n <- nrow(K)
  set.seed(71)
  G <- matrix(c(1, 0.7, 0.7, 1), 2)
  R <- matrix(c(1, -0.7, -0.7, 1), 2)
  # two records per animal so that G and R are both well determined
  U <- t(chol(K + diag(1e-8, n))) %*% matrix(rnorm(2 * n), n) %*% chol(G)
  d <- data.frame(animal = rep(rownames(K), 2))
  Y <- U[rep(seq_len(n), 2), ] + matrix(rnorm(4 * n), 2 * n) %*% chol(R)
  d$y1 <- Y[, 1]
  d$y2 <- Y[, 2]
  set.seed(72)
  fit <- SLAMglmm(cbind(y1, y2) ~ 1 + (1 | animal), data = d, relmat = list(animal = K),
                  nitt = 4000, burnin = 1000, thin = 3, verbose = FALSE)
  vc <- VarCorr(fit)
  rg <- stats::cov2cor(vc$animal)[1, 2]
  re <- stats::cov2cor(vc$Residual)[1, 2]
  # Monte-Carlo and sampling error of a correlation from 300 animals x 2 records: sd about 0.1
  expect_gt(rg, 0.35)
  expect_lt(re, -0.35)
})

test_that("few traits: a term left out of factor_formula stays the traits' own", {
  data(slam_pheno, slam_kinship, package = "SLAMglmm", envir = environment())
  d <- slam_pheno
  # a strong sire effect that only the traits' own shares can carry
  set.seed(5)
  s <- stats::rnorm(nlevels(d$sire), sd = 3)
  d$y1 <- d$y1 + s[d$sire]
  set.seed(6)
  fit <- SLAMglmm(cbind(y1, y2) ~ sex + (1 | animal) + (1 | sire), data = d,
                  relmat = list(animal = slam_kinship), factor_formula = ~ (1 | animal),
                  nitt = 600, burnin = 200, thin = 2, verbose = FALSE)
  # (M + 1) p factors for the one term on the factors
  expect_identical(fit$n_factors, 4L)
  g <- fit$prior$h2_grid
  w <- fit$prior$h2$trait
  expect_true(all(w[g[, "animal"] > 0] == 0))
  expect_gt(sum(w[g[, "animal"] == 0 & g[, "sire"] > 0]), 0)
  # the sire variance of y1 is found (about 9 on the data scale, 15 sires)
  expect_gt(VarCorr(fit)$sire[1, 1], 2)
})
