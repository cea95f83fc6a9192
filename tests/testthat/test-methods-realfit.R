# The methods on a real (small, short) fit of the example data: the quantities
# the sampler reports must agree with those the methods derive from the draws.

real_fit <- local({
  fit <- NULL
  function() {
    if (is.null(fit)) {
      data("slam_pheno", "slam_kinship", package = "SLAMglmm", envir = environment())
      set.seed(1)
      fit <<- SLAMglmm(cbind(y1, y2, y3, y5) ~ sex + (1 | animal), data = slam_pheno,
                       relmat = list(animal = slam_kinship), n_factors = 3,
                       nitt = 400, burnin = 200, thin = 4, threads = 1, verbose = FALSE)
    }
    fit
  }
})

test_that("methods give documented shapes and names on a real fit", {
  fit <- real_fit()
  tr <- c("y1", "y2", "y3", "y5")
  expect_equal(dimnames(fixef(fit)), list(c("(Intercept)", "sexM"), tr))
  re <- ranef(fit)
  expect_named(re, "animal")
  expect_equal(dim(re$animal), c(300L, 4L))
  expect_setequal(rownames(re$animal), slam_pheno_ids())
  vc <- VarCorr(fit)
  expect_named(vc, c("animal", "Residual"))
  expect_equal(dimnames(vc$animal), list(tr, tr))
  expect_true(all(eigen(vc$animal, only.values = TRUE)$values > -1e-10))
  expect_equal(dim(fitted(fit)), c(300L, 4L))
  expect_equal(nobs(fit), 300L)
  h <- h2(fit)
  expect_true(all(h$lower <= h$estimate & h$estimate <= h$upper))
  expect_output(print(fit), "Heritability")
  expect_output(print(summary(fit)), "Latent factors")
  f <- tempfile(fileext = ".png")
  grDevices::png(f)
  plot(fit)
  grDevices::dev.off()
  unlink(f)
})

test_that("the sampler's h2_total equals diag(G)/diag(P) formed from its draws", {
  fit <- real_fit()
  expect_equal(unname(slam_h2_total_from_draws(fit)), unname(fit$draws$h2_total), tolerance = 1e-8)
})

test_that("Rust and R posterior-mean covariances agree on real draws", {
  fit <- real_fit()
  skip_if_not(rust_cov_available())
  for (cc in slam_cov_components(fit)) {
    expect_equal(cov_mean(fit$draws$Lambda, cc$W, cc$D, engine = "rust"),
                 cov_mean_r(fit$draws$Lambda, cc$W, cc$D), tolerance = 1e-10)
  }
})

test_that("VarCorr and h2 of a real fit are invariant to factor permutations and sign flips", {
  fit <- real_fit()
  fit2 <- permute_flip_factors(fit)
  expect_equal(VarCorr(fit)$animal, VarCorr(fit2)$animal, tolerance = 1e-10)
  expect_equal(VarCorr(fit)$Residual, VarCorr(fit2)$Residual, tolerance = 1e-10)
  fit$draws$h2_total <- NULL
  fit2$draws$h2_total <- NULL
  expect_equal(h2(fit), h2(fit2), tolerance = 1e-10)
  expect_equal(fixef(fit), fixef(fit2), tolerance = 1e-10)
})
