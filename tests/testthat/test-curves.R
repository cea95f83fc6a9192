# Repeated measurements on a basis of time: family slam_curve().

curve_data <- function(n_s = 30, per = 5, seed = 1) {
  set.seed(seed)
  n <- n_s * per
  ind <- data.frame(animal = factor(sprintf("a%03d", seq_len(n))),
                    sire = factor(rep(seq_len(n_s), each = per)),
                    sex = factor(rep(c("F", "M"), length.out = n)))
  nt <- sample(2:6, n, replace = TRUE)
  long <- ind[rep(seq_len(n), nt), ]
  long$age <- unlist(lapply(nt, function(k) sort(runif(k, 0, 10))))
  i <- as.integer(long$animal)
  us <- matrix(rnorm(n_s * 2, sd = c(0.6, 0.3)), n_s, 2, byrow = TRUE)[ind$sire, ]
  ue <- matrix(rnorm(n * 2, sd = c(1, 0.5)), n, 2, byrow = TRUE)
  co <- us + ue
  long$weight <- 10 + (long$sex == "M") + co[i, 1] + (2 + co[i, 2]) * long$age / 5 +
    rnorm(nrow(long), sd = 0.3)
  long$height <- 50 + 3 * co[i, 1] + 5 * long$age + rnorm(nrow(long), sd = 1)
  long$height[c(2, 7, 11)] <- NA
  long
}

test_that("curves: coefficient traits, variances on the data scale, covariance functions", {
  skip_on_cran()
  long <- curve_data()
  set.seed(3)
  fit <- SLAMglmm(cbind(weight, height) ~ sex + (1 | sire), data = long,
                  family = slam_curve(time = ~ age, id = ~ animal, basis = "poly", df = 2),
                  n_factors = 2, nitt = 2500, burnin = 800, thin = 3, verbose = FALSE)
  expect_identical(fit$traits, c("weight.1", "weight.2", "height.1", "height.2"))
  expect_identical(fit$n, 150L)
  expect_identical(fit$curve_ids, levels(long$animal))
  fp <- family_params(fit)
  expect_identical(fp$parameter, c("weight:sigma2[all]", "height:sigma2[all]"))
  expect_identical(fp$type, c("variance", "variance"))
  # measurement variances on the data scale: true 0.09 and 1
  expect_true(fp$lower[1] < 0.09 * 1.6 && fp$upper[1] > 0.09 / 1.6)
  expect_true(fp$lower[2] < 1.6 && fp$upper[2] > 1 / 1.6)
  cf <- covariance_function(fit, times = c(0, 5, 10), trait = "weight", interval = TRUE)
  expect_named(cf, c("sire", "Residual"))
  expect_identical(dim(cf$sire), c(3L, 3L))
  expect_true(isSymmetric(unname(cf$Residual)))
  expect_true(all(attr(cf$sire, "lower") <= cf$sire + 1e-12 & cf$sire <= attr(cf$sire, "upper") + 1e-12))
  # the fitted curves follow each animal's measurements
  pr <- curve_predict(fit, times = long$age[1:3], trait = "weight")
  expect_identical(dim(pr), c(150L, 3L))
  expect_equal(unname(pr[1, ]), long$weight[1:3], tolerance = 0.1)
  g <- curve_predict(fit, times = c(0, 10), type = "genetic")
  expect_identical(rownames(g), levels(long$sire))
  # sex acts on every coefficient: males heavier by about 1
  fe <- fixef(fit)
  m_curve <- slam_basis_eval(fit$curves[[1]]$basis, 5) %*% fe["sexM", c("weight.1", "weight.2")]
  expect_equal(as.numeric(m_curve), 1, tolerance = 0.5)
})

test_that("curve layouts are checked before Rust runs, naming the argument", {
  long <- curve_data(n_s = 6)
  go <- function(fam, data = long, f = weight ~ 1 + (1 | sire)) {
    SLAMglmm(f, data = data, family = fam, nitt = 5, burnin = 1, thin = 1, verbose = FALSE)
  }
  expect_error(slam_curve(time = "age", id = ~ animal), "`time` of slam_curve", class = "slamglmm_input_error")
  expect_error(slam_curve(time = ~ age), "`id` of slam_curve", class = "slamglmm_input_error")
  expect_error(slam_curve(~ age, ~ animal, basis = "fourier"), "`basis`", class = "slamglmm_input_error")
  expect_error(go(slam_curve(~ nope, ~ animal)), "could not evaluate `time`", class = "slamglmm_input_error")
  bad <- long
  bad$age[3] <- NA
  expect_error(go(slam_curve(~ age, ~ animal), data = bad), "numeric and finite",
               class = "slamglmm_input_error")
  bad <- long
  bad$sire[2] <- bad$sire[40]
  expect_error(go(slam_curve(~ age, ~ animal), data = bad), "'sire' varies within an individual",
               class = "slamglmm_input_error")
  expect_error(go(slam_curve(~ age, ~ animal), f = weight ~ age + (1 | sire)),
               "'age' varies within an individual", class = "slamglmm_input_error")
  e <- tryCatch(go(slam_curve(~ nope, ~ animal)), slamglmm_input_error = function(e) e)
  expect_identical(e$arg, "family")
  b <- slam_build_input(weight ~ 1 + (1 | sire), data = long, verbose = FALSE, nitt = 5, burnin = 1,
                        thin = 1, family = slam_curve(~ age, ~ animal, basis = "bs", df = 4,
                                                      variance = ~ age > 5))
  expect_length(b$input$curves, 1L)
  expect_identical(b$input$curves[[1]]$n_groups, 2)
  expect_identical(dim(b$input$curves[[1]]$phi), c(nrow(long), 4L))
  # the coefficients' origin is the population curve (least squares on the basis), and each
  # coefficient's scale the residual sd about it where its basis function lives
  B <- slam_basis_eval(b$info$curves[[1]]$basis, long$age)
  pop <- stats::lm.fit(B, long$weight)
  expect_equal(unname(b$info$data_scale$center), unname(pop$coefficients), tolerance = 1e-8)
  r <- pop$residuals
  spread <- slam_coef_spread(B, r, as.integer(long$animal))
  if (is.null(spread)) spread <- sqrt(colSums(B^2 * r^2) / colSums(B^2))
  expect_equal(unname(b$info$data_scale$scale), spread, tolerance = 1e-8)
  s <- sqrt(mean(r^2))
  expect_equal(b$input$curves[[1]]$y, r / s, tolerance = 1e-8)
})

test_that("genetic curves are predicted for relatives in the relationship matrix never measured", {
  skip_on_cran()
  set.seed(1)
  n_s <- 10; per <- 5; n <- n_s * per
  ids <- sprintf("a%03d", seq_len(n + 5))        # the last 5 (relatives of families 1-5) unmeasured
  fam <- c(rep(seq_len(n_s), each = per), 1:5)
  A <- outer(fam, fam, function(a, b) ifelse(a == b, 0.25, 0))
  diag(A) <- 1
  dimnames(A) <- list(ids, ids)
  u <- t(chol(A)) %*% matrix(rnorm((n + 5) * 2), n + 5, 2)
  ind <- data.frame(animal = factor(ids[seq_len(n)], levels = ids))
  nt <- sample(2:5, n, replace = TRUE)
  long <- ind[rep(seq_len(n), nt), , drop = FALSE]
  long$age <- unlist(lapply(nt, function(k) sort(runif(k, 0, 10))))
  i <- as.integer(long$animal)
  long$weight <- 10 + u[i, 1] + (2 + u[i, 2]) * long$age / 5 + rnorm(nrow(long), sd = 0.3)
  fit <- SLAMglmm(weight ~ 1 + (1 | animal), data = long, relmat = list(animal = A),
                  family = slam_curve(time = ~ age, id = ~ animal, basis = "poly", df = 2),
                  n_factors = 1, nitt = 600, burnin = 200, thin = 2, verbose = FALSE)
  expect_identical(fit$curve_ids, ids[seq_len(n)])
  g <- curve_predict(fit, times = c(0, 10), type = "genetic")
  expect_identical(rownames(g), ids)
  expect_true(all(is.finite(g)))
  # an unmeasured relative's genetic curve is pulled towards its family's
  expect_false(isTRUE(all.equal(g[n + 1, ], g[n + 2, ])))
})

test_that("each curve coefficient is scaled by its spread among individuals", {
  set.seed(7)
  n <- 400
  row <- rep(seq_len(n), each = 8)
  t <- runif(8 * n, 0, 10)
  Phi <- cbind(1, (t - 5) / 3)
  coefs <- cbind(rnorm(n, sd = 3), rnorm(n, sd = 0.6))
  r <- rowSums(Phi * coefs[row, ]) + rnorm(8 * n, sd = 1)
  sk <- slam_coef_spread(Phi, r, row)
  expect_true(all(abs(log(sk / c(3, 0.6))) < log(1.5)))
  # unbalanced: 3 to 8 measurements at random ages, so that some individuals barely pin down a
  # coefficient (an unweighted estimate is then several times too large)
  nk <- sample(3:8, 600, replace = TRUE)
  row2 <- rep(seq_len(600), nk)
  z <- unlist(lapply(nk, function(j) sort(sample(1:100, j)))) / 50 - 1
  Phi2 <- cbind(1, z, z^2)
  coefs2 <- sweep(matrix(rnorm(1800), 600), 2, c(1.2, 1, 0.6), "*")
  r2 <- rowSums(Phi2 * coefs2[row2, ]) + rnorm(length(z), sd = 0.5)
  expect_true(all(abs(log(slam_coef_spread(Phi2, r2, row2) / c(1.2, 1, 0.6))) < log(1.5)))
  # too few individuals measured more often than there are coefficients: no moment estimate
  expect_null(slam_coef_spread(Phi[row <= 5, ], r[row <= 5], row[row <= 5]))
})
