# Predictions with intervals and cross-validation.

sim_two_traits <- function(seed) {
  data(slam_kinship, package = "SLAMglmm", envir = environment())
  K <- slam_kinship
  n <- nrow(K)
  set.seed(seed)
  G <- matrix(c(0.5, 0.25, 0.25, 0.5), 2)
  R <- matrix(c(0.5, 0.4, 0.4, 0.5), 2)     # strong residual correlation: y1 informs y2
  U <- t(chol(K + diag(1e-8, n))) %*% matrix(rnorm(2 * n), n) %*% chol(G)
  E <- matrix(rnorm(2 * n), n) %*% chol(R)
  Y <- U + E
  data.frame(animal = rownames(K), y1 = Y[, 1] + 10, y2 = Y[, 2] - 3)
}

test_that("prediction intervals of masked values cover at their level", {
  skip_on_cran()
  d <- sim_two_traits(21)
  data(slam_kinship, package = "SLAMglmm", envir = environment())
  truth <- d$y2
  set.seed(22)
  masked <- sample(nrow(d), 150)
  d$y2[masked] <- NA
  set.seed(23)
  fit <- SLAMglmm(cbind(y1, y2) ~ 1 + (1 | animal), data = d, relmat = list(animal = slam_kinship),
                  n_factors = 2, nitt = 4000, burnin = 1000, thin = 3, verbose = FALSE)
  pr <- predict(fit, interval = "prediction", level = 0.9)
  expect_s3_class(pr, "slam_prediction")
  inside <- truth[masked] >= pr$lwr[masked, "y2"] & truth[masked] <= pr$upr[masked, "y2"]
  # 150 values: the coverage's binomial sd at 0.9 is 0.025
  expect_gt(mean(inside), 0.9 - 3.5 * 0.025)
  expect_lt(mean(inside), 0.9 + 3.5 * 0.025)
  ci <- predict(fit, interval = "confidence", level = 0.9)
  expect_true(all(ci$sd[masked, "y2"] < pr$sd[masked, "y2"]))
  expect_equal(ci$fit, pr$fit)
  # the imputed H and the expected value agree in the mean over the chain
  expect_gt(cor(fit$H_mean[masked, "y2"], fit$mu_mean[masked, "y2"]), 0.98)
  expect_identical(predict(fit), fitted(fit))
  expect_error(predict(fit, newdata = d[1:3, ], interval = "confidence"), class = "slamglmm_input_error")
})

test_that("cross-validation: a trait is predicted better when the individual's other trait is seen", {
  skip_on_cran()
  d <- sim_two_traits(31)
  data(slam_kinship, package = "SLAMglmm", envir = environment())
  set.seed(32)
  fit <- SLAMglmm(cbind(y1, y2) ~ 1 + (1 | animal), data = d, relmat = list(animal = slam_kinship),
                  n_factors = 2, nitt = 1500, burnin = 500, thin = 2, verbose = FALSE)
  folds <- rep(1:2, length.out = nrow(d))
  set.seed(33)
  only_y2 <- slam_cv(fit, folds, traits = "y2")
  set.seed(33)
  both <- slam_cv(fit, folds, traits = c("y1", "y2"))
  expect_equal(nrow(only_y2), 2L)
  expect_named(only_y2, c("fold", "trait", "n", "accuracy", "bias", "rmse"))
  expect_equal(sum(only_y2$n), nrow(d))
  p <- attr(only_y2, "predictions")
  expect_equal(sort(p$row), seq_len(nrow(d)))
  acc_partial <- mean(only_y2$accuracy)
  acc_new <- mean(both$accuracy[both$trait == "y2"])
  # residual correlation 0.8 (of 0.5 / 0.5 variances): seeing y1 explains much of y2's residual
  expect_gt(acc_partial, acc_new + 0.15)
  expect_gt(acc_new, 0.1)
  expect_error(slam_cv(fit, folds[-1]), class = "slamglmm_input_error")
  expect_error(slam_cv(fit, folds, traits = "y9"), class = "slamglmm_input_error")
  expect_error(slam_cv(fit, list(integer(0))), class = "slamglmm_input_error")
})
