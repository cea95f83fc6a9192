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
               "`start` of slam_nonlinear", class = "slamglmm_input_error")
  expect_error(slam_nonlinear(function(h) h[, 1], time = ~ age, id = ~ tree, start = c(a = 1)),
               "function of two arguments", class = "slamglmm_input_error")
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

test_that("a curve function written in R gives the chain of the built-in curve", {
  long <- logistic_data(n_clone = 8)
  g <- function(h, t) h[, "Asym"] / (1 + exp((h[, "xmid"] - t) / h[, "scal"]))
  st <- c(Asym = 20, xmid = 6, scal = 1.5)
  sc <- c(Asym = 5, xmid = 1.5, scal = 0.4)
  run <- function(curve) {
    set.seed(9)
    SLAMglmm(height ~ 1 + (1 | clone), data = long, n_factors = 1, nitt = 200, burnin = 50,
             thin = 2, verbose = FALSE,
             family = slam_nonlinear(curve, time = ~ age, id = ~ tree, start = st, scale = sc))
  }
  user <- run(g)
  built <- run("logistic")
  expect_identical(user$traits, c("height.Asym", "height.xmid", "height.scal"))
  expect_identical(user$draws$psi, built$draws$psi)
  expect_identical(user$draws$family, built$draws$family)
  expect_equal(curve_predict(user, times = c(2, 8)), curve_predict(built, times = c(2, 8)))
  expect_match(paste(capture.output(print(user)), collapse = "\n"), "parameters of non-linear curves")
})

test_that("a curve function that misbehaves is a classed error naming it", {
  long <- logistic_data(n_clone = 5)
  fit_with <- function(g, start = c(Asym = 20, xmid = 6, scal = 1.5)) {
    SLAMglmm(height ~ 1 + (1 | clone), data = long, n_factors = 1, nitt = 30, burnin = 10,
             thin = 1, verbose = FALSE,
             family = slam_nonlinear(g, time = ~ age, id = ~ tree, start = start))
  }
  # checked in R at the start values, before any Rust runs
  expect_error(fit_with(function(h, t) h[-1, 1] * t[-1]), "returned 119 values for 120",
               class = "slamglmm_input_error")
  expect_error(fit_with(function(h, t) ifelse(t > 5, NA, h[, 1])), "missing or infinite",
               class = "slamglmm_input_error")
  expect_error(fit_with(function(h, t) stop("no such curve")), "failed: no such curve",
               class = "slamglmm_input_error")
  expect_error(fit_with(function(h, t) as.character(h[, 1])), "not numbers",
               class = "slamglmm_input_error")
  expect_error(fit_with(function(h, t) h[, "Asym"] * t, start = c(a = 1, b = 2)),
               "failed", class = "slamglmm_input_error")
  # while sampling: an error, or the wrong length, stops the run with a classed error
  calls <- 0
  flaky <- function(h, t) {
    calls <<- calls + 1
    if (calls > 20) stop("gave up")
    h[, 1] / (1 + exp((h[, 2] - t) / h[, 3]))
  }
  expect_error(suppressMessages(fit_with(flaky)), "curve function `g` of non-linear response 1 failed",
               class = "slamglmm_sampler_error")
  calls <- 0
  short <- function(h, t) {
    calls <<- calls + 1
    g <- h[, 1] / (1 + exp((h[, 2] - t) / h[, 3]))
    if (calls > 20) g[-1] else g
  }
  expect_error(fit_with(short), "returned [0-9]+ values for [0-9]+ measurements",
               class = "slamglmm_sampler_error")
  # a non-finite value at proposed parameters only rejects them
  calls <- 0
  picky <- function(h, t) {
    g <- h[, 1] / (1 + exp((h[, 2] - t) / h[, 3]))
    g[h[, 1] > 21] <- NA
    g
  }
  fit <- fit_with(picky)
  expect_true(all(fit$H_mean[, "height.Asym"] <= 21))
})

test_that("a curve function may use covariates of each measurement", {
  skip_on_cran()
  long <- logistic_data(n_clone = 10)
  long$temp <- rnorm(nrow(long))
  long$height <- long$height + 2 * long$temp
  g <- function(h, t, d) h[, "Asym"] / (1 + exp((h[, "xmid"] - t) / h[, "scal"])) + 2 * d$temp
  set.seed(5)
  fit <- SLAMglmm(height ~ 1 + (1 | clone), data = long, n_factors = 1, nitt = 1500, burnin = 500,
                  thin = 2, verbose = FALSE,
                  family = slam_nonlinear(g, time = ~ age, id = ~ tree,
                                          start = c(Asym = 20, xmid = 6, scal = 1.5),
                                          scale = c(Asym = 5, xmid = 1.5, scal = 0.4)))
  fe <- fixef(fit, interval = TRUE)
  expect_true(all(fe$lower < c(20, 6, 1.5) + 0.5 & fe$upper > c(20, 6, 1.5) - 0.5))
  fp <- family_params(fit)
  expect_true(fp$lower < 0.25 * 1.3 && fp$upper > 0.25 / 1.3)
  expect_error(curve_predict(fit, times = 1:3), "third argument")
})
