# Known non-linear responses: family slam_nonlinear().

logistic_data <- function(n_clone = 20, per = 4, seed = 2) {
  set.seed(seed)
  n <- n_clone * per
  ind <- data.frame(tree = factor(seq_len(n)), clone = factor(rep(seq_len(n_clone), each = per)))
  long <- ind[rep(seq_len(n), each = 6), ]
  long$age <- rep(c(1, 3, 5, 7, 9, 11), n) + runif(6 * n, 0, 0.5)
  asym <- 20 + rnorm(n_clone, sd = 2)[long$clone] + rnorm(n, sd = 1)[long$tree]
  xmid <- 6 + rnorm(n_clone, sd = 0.5)[long$clone]
  long$height <- asym / (1 + exp((xmid - long$age) / 1.5)) + rnorm(6 * n, sd = 0.5)
  long
}

test_that("a logistic growth curve: parameters, variance, predicted curves", {
  skip_on_cran()
  long <- logistic_data()
  set.seed(4)
  fit <- SLAMglmm(height ~ 1 + (1 | clone), data = long,
                  family = slam_nonlinear("logistic", time = ~ age, id = ~ tree),
                  n_factors = 2, nitt = 3000, burnin = 1000, thin = 2, verbose = FALSE)
  expect_identical(fit$traits, c("height.Asym", "height.xmid", "height.scal"))
  fe <- fixef(fit, interval = TRUE)
  truth <- c(20, 6, 1.5)
  expect_true(all(fe$lower < truth + 0.5 & fe$upper > truth - 0.5))
  fp <- family_params(fit)
  expect_identical(fp$parameter, "height:sigma2[all]")
  expect_true(fp$lower < 0.25 * 1.3 && fp$upper > 0.25 / 1.3)
  expect_gt(VarCorr(fit)$clone["height.Asym", "height.Asym"], 1)
  pr <- curve_predict(fit, times = c(1, 6, 11))
  expect_identical(dim(pr), c(80L, 3L))
  expect_true(all(pr[, 1] < pr[, 2] & pr[, 2] < pr[, 3]))
  expect_error(covariance_function(fit, times = 1:3), "slam_curve\\(\\) fits")
  expect_match(paste(capture.output(print(fit)), collapse = "\n"), "parameters of non-linear curves")
})

test_that("non-linear layouts are checked before Rust runs, naming the argument", {
  long <- logistic_data(n_clone = 5)
  expect_error(slam_nonlinear(function(h, t) h[, 1] * t, time = ~ age, id = ~ tree),
               "not available yet", class = "slamglmm_input_error")
  expect_error(slam_nonlinear("weibull", time = ~ age, id = ~ tree), "`curve`",
               class = "slamglmm_input_error")
  expect_error(slam_nonlinear("logistic", time = ~ age, id = ~ tree, start = c(A = 1)),
               "`start` of slam_nonlinear", class = "slamglmm_input_error")
  expect_error(slam_nonlinear("logistic", time = ~ age, id = ~ tree,
                              scale = c(Asym = 1, xmid = -1, scal = 1)),
               "`scale` of slam_nonlinear.*positive", class = "slamglmm_input_error")
  flat <- long
  flat$height <- -flat$age  # a falling line: nls finds no logistic
  expect_error(SLAMglmm(height ~ 1 + (1 | clone), data = flat, nitt = 5, burnin = 1, thin = 1,
                        verbose = FALSE,
                        family = slam_nonlinear("logistic", time = ~ age, id = ~ tree)),
               "give `start`", class = "slamglmm_input_error")
  b <- slam_build_input(height ~ 1 + (1 | clone), data = long, nitt = 5, burnin = 1, thin = 1,
                        verbose = FALSE,
                        family = slam_nonlinear("logistic", time = ~ age, id = ~ tree,
                                                start = c(Asym = 20, xmid = 6, scal = 1.5),
                                                scale = c(Asym = 4, xmid = 1, scal = 0.3)))
  expect_identical(b$input$family, rep("nonlinear", 3))
  expect_identical(b$input$nonlinear[[1]]$curve, "logistic")
  expect_equal(b$input$nonlinear[[1]]$center, c(20, 6, 1.5))
  expect_equal(unname(b$info$data_scale$scale), c(4, 1, 0.3))
  expect_gt(b$input$nonlinear[[1]]$prior_scale, 0)
})
