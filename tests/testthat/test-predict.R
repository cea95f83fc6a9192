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
  expect_identical(predict(fit, type = "response"), predict(fit, interval = "confidence")$fit)
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

test_that("response-scale moments and quantiles match Monte Carlo of the observation model", {
  gh <- SLAMglmm:::slam_gauss_hermite()
  expect_equal(sum(gh$w), 1)
  expect_equal(sum(gh$w * gh$x^2), 1)
  set.seed(41)
  m <- 0.7; s <- 0.3; v <- 0.4
  mu <- rnorm(2e5, m, s)
  y <- rpois(2e5, exp(mu + rnorm(2e5, 0, sqrt(v)) + 0.5))
  pois <- SLAMglmm:::slam_response_model("poisson", v, offset = 0.5)
  pr <- SLAMglmm:::slam_response_predict(m, s, pois, v, "prediction", 0.9)
  expect_equal(pr$fit, mean(y), tolerance = 4 * sd(y) / sqrt(2e5) / mean(y))
  expect_equal(pr$sd, sd(y), tolerance = 0.02)
  expect_equal(c(pr$lwr, pr$upr), unname(quantile(y, c(0.05, 0.95), type = 1)))
  ci <- SLAMglmm:::slam_response_predict(m, s, pois, v, "confidence", 0.9)
  lam <- exp(mu + 0.5 + v / 2)
  expect_equal(ci$sd, sd(lam), tolerance = 0.02)
  expect_equal(c(ci$lwr, ci$upr), unname(quantile(lam, c(0.05, 0.95))), tolerance = 0.02)
  # probit and ordinal: E(y | mu) integrates the residual
  b <- as.double(mu + rnorm(2e5, 0, sqrt(v)) > 0)
  pb <- SLAMglmm:::slam_response_predict(m, s, SLAMglmm:::slam_response_model("probit", v), v, "prediction", 0.9)
  expect_equal(pb$fit, mean(b), tolerance = 4 * sd(b) / sqrt(2e5) / mean(b))
  expect_equal(c(pb$lwr, pb$upr), c(0, 1))
  cut <- c(0, 0.8, 1.5)
  cls <- findInterval(mu + rnorm(2e5, 0, sqrt(v)), c(-Inf, cut, Inf), left.open = TRUE)
  po <- SLAMglmm:::slam_response_predict(m, s, SLAMglmm:::slam_response_model("ordinal", v, cut = cut), v,
                                         "prediction", 0.9)
  expect_equal(po$fit, mean(cls), tolerance = 4 * sd(cls) / sqrt(2e5) / mean(cls))
  expect_equal(po$sd, sd(cls), tolerance = 0.02)
  expect_equal(c(po$lwr, po$upr), unname(quantile(cls, c(0.05, 0.95), type = 1)))
})

test_that("response-scale predictions of masked binary and count traits are calibrated", {
  skip_on_cran()
  data(slam_kinship, package = "SLAMglmm", envir = environment())
  K <- slam_kinship
  n <- nrow(K)
  set.seed(51)
  u <- drop(t(chol(K + diag(1e-8, n))) %*% rnorm(n)) * sqrt(0.6)
  x <- rnorm(n)
  liab <- 0.3 + 0.8 * x + u + rnorm(n, 0, sqrt(0.4))
  eta <- 1 + 0.5 * x + 0.7 * u + rnorm(n, 0, 0.4)
  d <- data.frame(animal = rownames(K), x = x, b = as.integer(liab > 0), cnt = rpois(n, exp(eta)))
  truth <- d
  masked <- sample(n, 150)
  d$b[masked] <- NA
  d$cnt[masked] <- NA
  set.seed(52)
  fit <- SLAMglmm(cbind(b, cnt) ~ x + (1 | animal), data = d, relmat = list(animal = K),
                  family = list(b = "probit", cnt = "poisson"), n_factors = 1,
                  nitt = 3000, burnin = 1000, thin = 2, verbose = FALSE)
  pr <- predict(fit, interval = "prediction", level = 0.9, type = "response")
  expect_identical(pr$type, "response")
  p_b <- pr$fit[masked, "b"]
  expect_true(all(p_b > 0 & p_b < 1))
  # calibration: the observed number of ones among the masked, against the predicted probabilities
  expect_lt(abs(sum(truth$b[masked]) - sum(p_b)), 3.5 * sqrt(sum(p_b * (1 - p_b))))
  # and the probabilities discriminate (a masked 1 tends to get a higher probability than a masked 0)
  expect_gt(mean(p_b[truth$b[masked] == 1]) - mean(p_b[truth$b[masked] == 0]), 0.1)
  # counts: calibrated means and prediction intervals that cover (discrete quantiles: at least the level)
  yc <- truth$cnt[masked]
  expect_lt(abs(sum(yc - pr$fit[masked, "cnt"])), 3.5 * sqrt(sum(pr$sd[masked, "cnt"]^2)))
  inside <- yc >= pr$lwr[masked, "cnt"] & yc <= pr$upr[masked, "cnt"]
  expect_gt(mean(inside), 0.9 - 3.5 * 0.025)
  expect_true(all(pr$lwr[masked, "cnt"] == round(pr$lwr[masked, "cnt"])))
  ci <- predict(fit, interval = "confidence", level = 0.9, type = "response")
  expect_true(all(ci$lwr[masked, "b"] <= ci$upr[masked, "b"]))
  expect_true(all(ci$sd[masked, "cnt"] < pr$sd[masked, "cnt"]))
  link <- predict(fit, interval = "confidence", level = 0.9)
  expect_equal(ci$lwr[masked, "cnt"], exp(link$lwr[masked, "cnt"] + SLAMglmm:::slam_residual_variance(fit)[["cnt"]] / 2))
})

test_that("newdata: intervals of new groups add the term's variance and cover", {
  skip_on_cran()
  set.seed(61)
  ng <- 300
  g <- rnorm(ng, 0, sqrt(0.5))
  grp <- c(rep(seq_len(100), each = 4), 101:ng)        # 100 groups seen 4 times, 200 new groups once
  x <- rnorm(length(grp))
  y <- 2 + 1.5 * x + g[grp] + rnorm(length(grp), 0, sqrt(0.5))
  y2 <- 0.5 * y + rnorm(length(grp))
  d <- data.frame(grp = factor(grp), x = x, y = y, y2 = y2)
  train <- d[grp <= 100, ]
  test <- d[grp > 100, ]
  train$grp <- droplevels(train$grp)
  set.seed(62)
  fit <- SLAMglmm(cbind(y, y2) ~ x + (1 | grp), data = train, n_factors = 1,
                  nitt = 3000, burnin = 1000, thin = 2, verbose = FALSE)
  pr <- predict(fit, newdata = test, interval = "prediction", level = 0.9)
  inside <- test$y >= pr$lwr[, "y"] & test$y <= pr$upr[, "y"]
  expect_gt(mean(inside), 0.9 - 3.5 * sqrt(0.09 / 200))
  expect_lt(mean(inside), 0.9 + 3.5 * sqrt(0.09 / 200))
  expect_equal(pr$fit, predict(fit, newdata = test), ignore_attr = TRUE)
  ci <- predict(fit, newdata = test, interval = "confidence", level = 0.9)
  seen <- predict(fit, newdata = train[1:5, ], interval = "confidence", level = 0.9)
  # unseen groups carry the genetic variance, seen ones only the fixed part's uncertainty
  expect_true(all(ci$sd[, "y"] > 0.5))
  expect_true(all(seen$sd[, "y"] < 0.3))
})
