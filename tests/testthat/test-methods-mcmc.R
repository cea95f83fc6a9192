test_that("Geyer ESS of an AR(1) chain is close to n (1 - phi) / (1 + phi)", {
  set.seed(42)
  for (phi in c(0.5, 0.9)) {
    n <- 40000
    x <- as.numeric(stats::filter(rnorm(n), phi, method = "recursive"))
    expect_equal(slam_ess(x), n * (1 - phi) / (1 + phi), tolerance = 0.15)
  }
  x <- rnorm(10000)
  expect_equal(slam_ess(x), 10000, tolerance = 0.1)
  expect_true(is.na(slam_ess(rep(0.3, 100))))
  expect_true(is.na(slam_ess(1:3)))
})

test_that("ESS agrees with coda::effectiveSize roughly", {
  skip_if_not_installed("coda")
  set.seed(7)
  x <- as.numeric(stats::filter(rnorm(20000), 0.7, method = "recursive"))
  expect_equal(slam_ess(x), unname(coda::effectiveSize(x)), tolerance = 0.2)
})

test_that("slam_draws returns draws x parameters with readable names", {
  fit <- make_fake_fit(p = 3, k = 2, nT = 25)
  d <- slam_draws(fit, "h2_total")
  expect_equal(dim(d), c(25L, 3L))
  expect_equal(colnames(d), paste0("h2_total[", fit$traits, "]"))
  expect_equal(unname(d[, 2]), unname(fit$draws$h2_total[2, ]))
  expect_equal(attr(d, "mcmc"), c(start = 1005, end = 1005 + 24 * 5, thin = 5))
  b <- slam_draws(fit, "B")
  expect_equal(ncol(b), 6L)
  expect_true("B[sexM,y3]" %in% colnames(b))
  expect_equal(unname(b[, "B[sexM,y3]"]), unname(fit$draws$B["sexM", "y3", ]))
  all <- slam_draws(fit, c("h2_total", "h2", "h2F", "psi", "fixef", "B", "BF", "Lambda",
                           "delta", "sigma2_b", "G", "R", "P", "gcor"))
  expect_equal(nrow(all), 25L)
  expect_equal(anyDuplicated(colnames(all)), 0L)
  g <- slam_draws(fit, "G")
  expect_equal(ncol(g), 6L)
  expect_equal(unname(colMeans(g)[c("G[y1,y1]", "G[y3,y2]")]),
               unname(c(VarCorr(fit)$animal[1, 1], VarCorr(fit)$animal[3, 2])))
  expect_equal(ncol(slam_draws(fit, "gcor")), 3L)
  expect_equal(unname(colMeans(slam_draws(fit, "fixef"))), as.vector(fixef(fit)))
  expect_error(slam_draws(fit, "nonsense"), "unknown")
  expect_error(slam_draws(make_fake_fit(p = 51, k = 1, nT = 3), "G"), "p <= 50")
})

test_that("as.mcmc gives a coda object", {
  skip_if_not_installed("coda")
  fit <- make_fake_fit(p = 2, k = 1, nT = 30)
  m <- coda::as.mcmc(fit, what = "psi")
  expect_s3_class(m, "mcmc")
  expect_equal(coda::niter(m), 30)
  expect_equal(coda::thin(m), 5)
  expect_equal(start(m), 1005)
})
