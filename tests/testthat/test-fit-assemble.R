# The raw sampler output is on the standardised scale; slam_assemble_fit()
# must put every draw back on the data scale. mock_sampler() (helper-mock.R)
# returns least-squares fits of the standardised data, so the back-transformed
# draws must equal least-squares fits of the raw data.

fit_fields <- c("call", "formula", "factor_formula", "traits", "n", "fixed", "fixed_F",
                "terms", "factor_terms", "levels", "relmat_given", "data_scale", "family",
                "n_categories", "class_levels", "draws", "save_draws", "U_mean", "F_mean", "H_mean", "mu_mean", "mu_sd",
                "fitted_response", "class_probs", "probe_effects", "curves", "curve_ids", "acceptance",
                "Y", "X", "offset", "row_levels",
                "n_factors", "prior", "mcmc")
draw_fields <- c("Lambda", "B", "BF", "psi", "h2", "h2F", "h2_total", "sigma2_b", "delta", "family")

mock_fit <- function(formula, data, ..., n_saved = NULL, interrupted = FALSE) {
  b <- slam_build_input(formula, data = data, ..., verbose = FALSE)
  raw <- mock_sampler(b$input, n_saved = n_saved, interrupted = interrupted)
  list(built = b, raw = raw, fit = slam_assemble_fit(b$info, raw, call = quote(test())))
}

test_that("the fit object has exactly the documented fields and shapes", {
  d <- mock_data()
  K <- mock_kinship(c("extra", rev(d$animal)))
  m <- mock_fit(cbind(y1, y2, y3) ~ sex + x + (1 | animal), d, relmat = list(animal = K),
                n_factors = 2, nitt = 30, burnin = 10, thin = 4)
  fit <- m$fit
  expect_s3_class(fit, "SLAMglmm")
  expect_identical(names(fit), fit_fields)
  expect_identical(names(fit$draws), draw_fields)
  expect_identical(fit$traits, c("y1", "y2", "y3"))
  expect_identical(fit$n, 60L)
  expect_identical(fit$fixed, c("(Intercept)", "sexM", "x"))
  expect_identical(fit$fixed_F, c("sexM", "x"))
  expect_identical(fit$terms, "animal")
  expect_identical(fit$levels, list(animal = c("extra", rev(d$animal))))
  expect_identical(fit$relmat_given, c(animal = TRUE))
  expect_identical(dim(fit$X), c(60L, 3L))
  # each row's level: the data's animal ids, looked up in the term's levels
  expect_identical(fit$levels$animal[fit$row_levels$animal], as.character(d$animal))
  expect_identical(fit$n_factors, 2L)
  nT <- 5L
  dr <- fit$draws
  expect_identical(dim(dr$Lambda), c(3L, 2L, nT))
  expect_identical(dimnames(dr$Lambda), list(fit$traits, c("F1", "F2"), NULL))
  expect_identical(dim(dr$B), c(3L, 3L, nT))
  expect_identical(dimnames(dr$B), list(fit$fixed, fit$traits, NULL))
  expect_identical(dimnames(dr$BF), list(fit$fixed_F, c("F1", "F2"), NULL))
  expect_identical(dimnames(dr$psi), list(fit$traits, NULL))
  expect_identical(dimnames(dr$h2), list(fit$traits, NULL))
  expect_identical(dimnames(dr$h2F), list(c("F1", "F2"), NULL))
  expect_identical(dimnames(dr$h2_total), list(fit$traits, NULL))
  expect_identical(dimnames(dr$sigma2_b), list(fit$fixed, NULL))
  expect_identical(dimnames(dr$delta), list(c("F1", "F2"), NULL))
  expect_identical(dimnames(fit$U_mean$animal), list(fit$levels$animal, fit$traits))
  expect_identical(dim(fit$F_mean), c(60L, 2L))
  expect_identical(colnames(fit$F_mean), c("F1", "F2"))
  expect_identical(dim(fit$H_mean), c(60L, 3L))
  expect_identical(colnames(fit$H_mean), fit$traits)
  expect_equal(unname(fit$Y), unname(as.matrix(d[, c("y1", "y2", "y3")])))
  expect_s3_class(fit$prior, "slam_prior")
  expect_identical(fit$mcmc[c("nitt", "burnin", "thin", "n_saved", "interrupted", "threads")],
                   list(nitt = 30L, burnin = 10L, thin = 4L, n_saved = nT, interrupted = FALSE,
                        threads = m$built$input$threads))
  expect_identical(fit$mcmc$seed, m$built$input$seed)
  expect_identical(fit$mcmc$iterations, 30L)
  expect_identical(fit$call, quote(test()))
  expect_s3_class(fit$formula, "formula")
})

test_that("every draw is back-transformed to the data scale", {
  d <- mock_data()
  d$y1[c(2, 9)] <- NA
  d$y3[c(4, 9, 20)] <- NA
  m <- mock_fit(cbind(y1, y2, y3) ~ sex + x + (1 | animal), d, n_factors = 2,
                nitt = 12, burnin = 2, thin = 5)
  fit <- m$fit
  raw <- m$raw
  traits <- c("y1", "y2", "y3")
  # centre and scale stored as the observed means and sds
  expect_equal(fit$data_scale$center, sapply(d[traits], mean, na.rm = TRUE))
  expect_equal(fit$data_scale$scale, sapply(d[traits], sd, na.rm = TRUE))
  s <- fit$data_scale$scale
  # B: least squares on the data scale, intercept included
  for (j in traits) {
    ls <- coef(lm(reformulate(c("sex", "x"), j), data = d))
    for (t in 1:2) expect_equal(unname(fit$draws$B[, j, t]), unname(ls))
    res <- residuals(lm(reformulate(c("sex", "x"), j), data = d))
    expect_equal(unname(fit$draws$psi[j, ]), rep(mean(res^2), 2))
  }
  # Lambda scaled by trait
  for (j in 1:3) expect_equal(fit$draws$Lambda[j, , ], raw$Lambda[j, , ] * s[j], ignore_attr = TRUE)
  # scale-free quantities unchanged (one term: the term dimension is dropped)
  expect_equal(fit$draws$h2, raw$h2[, 1, ], ignore_attr = TRUE)
  expect_equal(fit$draws$h2F, raw$h2F[, 1, ], ignore_attr = TRUE)
  expect_equal(fit$draws$h2_total, raw$h2_total[, 1, ], ignore_attr = TRUE)
  expect_equal(fit$draws$BF, raw$BF, ignore_attr = TRUE)
  expect_equal(fit$draws$delta, raw$delta, ignore_attr = TRUE)
  expect_equal(fit$draws$sigma2_b, raw$sigma2_b, ignore_attr = TRUE)
  expect_equal(fit$F_mean, raw$F_mean, ignore_attr = TRUE)
  # H_mean: the data where observed, the data-scale fitted value where missing
  Yd <- as.matrix(d[traits])
  obs <- !is.na(Yd)
  expect_equal(fit$H_mean[obs], Yd[obs])
  expect_equal(unname(fit$H_mean[9, "y3"]),
               unname(predict(lm(y3 ~ sex + x, d), newdata = d[9, ])))
  # U_mean: per-animal mean residual on the data scale
  res1 <- residuals(lm(y2 ~ sex + x, d))
  expect_equal(unname(fit$U_mean$animal[d$animal, "y2"]), unname(res1))
})

test_that("without an intercept the traits are scaled but not centred", {
  d <- mock_data()
  m <- mock_fit(cbind(y1, y2) ~ 0 + x, d, n_factors = 1, nitt = 3, burnin = 1, thin = 1)
  fit <- m$fit
  expect_equal(unname(fit$data_scale$center), c(0, 0))
  expect_equal(unname(fit$data_scale$scale), c(sd(d$y1), sd(d$y2)))
  expect_equal(unname(fit$draws$B["x", , 1]),
               unname(c(coef(lm(y1 ~ 0 + x, d)), coef(lm(y2 ~ 0 + x, d)))))
  expect_equal(m$built$input$penalized, TRUE)
})

test_that("p = 1, k = 0, no random term: grid is 0 and shapes degenerate cleanly", {
  d <- mock_data()
  m <- mock_fit(y1 ~ x, d, n_factors = 0, nitt = 6, burnin = 2, thin = 2)
  fit <- m$fit
  expect_identical(m$built$input$h2_grid, matrix(0, 1L, 0L))
  expect_identical(m$built$input$h2_prior, 1)
  expect_identical(m$built$input$h2F_prior, 1)
  expect_identical(m$built$input$terms, list())
  expect_identical(m$built$input$k, 0L)
  expect_identical(fit$prior$h2_grid, 0)
  expect_identical(fit$terms, character(0))
  expect_length(fit$levels, 0)
  expect_length(fit$relmat_given, 0)
  expect_identical(fit$U_mean, list())
  expect_identical(dim(fit$draws$Lambda), c(1L, 0L, 2L))
  expect_identical(dim(fit$draws$h2F), c(0L, 2L))
  expect_identical(dim(fit$draws$BF), c(1L, 0L, 2L))
  expect_identical(dim(fit$F_mean), c(60L, 0L))
  expect_identical(dim(fit$draws$B), c(2L, 1L, 2L))
  expect_equal(unname(fit$draws$B[, 1, 2]), unname(coef(lm(y1 ~ x, d))))
  expect_identical(fit$n_factors, 0L)
})

test_that("an interrupted run warns and returns the draws saved so far", {
  d <- mock_data()
  expect_warning(
    m <- mock_fit(cbind(y1, y2) ~ (1 | animal), d, n_factors = 1, nitt = 100, burnin = 10,
                  thin = 10, n_saved = 3, interrupted = TRUE),
    "sampling interrupted after 40 iterations; returning the draws saved so far")
  fit <- m$fit
  expect_true(fit$mcmc$interrupted)
  expect_identical(fit$mcmc$n_saved, 3L)
  expect_identical(fit$mcmc$iterations, 40L)
  expect_identical(dim(fit$draws$psi), c(2L, 3L))
  expect_identical(dim(fit$draws$Lambda), c(2L, 1L, 3L))
})

test_that("inputs to Rust are double matrices with the contract's names and types", {
  d <- mock_data()
  d$yi <- as.integer(round(d$y2))
  K <- Matrix::Matrix(mock_kinship(d$animal), sparse = TRUE)
  b <- slam_build_input(cbind(y1, yi) ~ sex + (1 | animal), data = d,
                        relmat = list(animal = K), n_factors = 2, nitt = 5, burnin = 1, thin = 1)
  inp <- b$input
  expect_identical(names(inp), c("Y", "X", "penalized", "XF", "terms", "family", "n_categories",
                                 "weights", "offset", "probes", "curves", "nonlinear", "k", "h2_grid",
                                 "h2_prior", "h2F_prior", "psi_V", "psi_nu", "lambda_nu", "a1",
                                 "a2", "delta_min", "b_shape", "b_scale", "negbin_shape",
                                 "negbin_rate", "probe_shape", "probe_rate", "curve_shape", "curve_scale",
                                 "nitt", "burnin",
                                 "thin", "seed", "threads", "verbose", "interactive", "grid_route", "cache_mb",
                                 "adapt", "k_max", "adapt_epsilon", "save_draws", "collapse_factors"))
  for (nm in c("Y", "X", "XF")) {
    expect_true(is.matrix(inp[[nm]]), info = nm)
    expect_identical(typeof(inp[[nm]]), "double", info = nm)
  }
  expect_length(inp$terms, 1L)
  expect_named(inp$terms[[1]], c("Z", "K"))
  for (nm in c("Z", "K")) {
    expect_true(is.matrix(inp$terms[[1]][[nm]]), info = nm)
    expect_identical(typeof(inp$terms[[1]][[nm]]), "double", info = nm)
  }
  expect_identical(inp$family, c("gaussian", "gaussian"))
  expect_type(inp$n_categories, "integer")
  expect_null(inp$weights)
  expect_null(inp$offset)
  for (nm in c("k", "nitt", "burnin", "thin", "threads")) expect_type(inp[[nm]], "integer")
  for (nm in c("h2_grid", "h2_prior", "h2F_prior", "psi_V", "psi_nu", "lambda_nu", "a1", "a2",
               "delta_min", "b_shape", "b_scale", "seed")) expect_type(inp[[nm]], "double")
  expect_type(inp$penalized, "logical")
  expect_type(inp$verbose, "logical")
  # the standardised Y has observed mean 0 and sd 1 per trait
  expect_equal(unname(colMeans(inp$Y)), c(0, 0))
  expect_equal(unname(apply(inp$Y, 2, sd)), c(1, 1))
  expect_equal(sum(inp$h2_prior), 1)
  expect_true(all(inp$h2_grid >= 0 & inp$h2_grid < 1))
})

test_that("a plain prior list is filled in by slam_prior()", {
  d <- mock_data()
  b <- slam_build_input(y1 ~ (1 | animal), data = d, n_factors = 0, nitt = 5, burnin = 1, thin = 1,
                        prior = list(h2 = list(divisions = 4, trait = c(4, 2, 1, 1)),
                                     R = list(V = 2)))
  expect_identical(b$input$h2_grid, matrix(c(0, 0.25, 0.5, 0.75), 4L, 1L))
  expect_equal(b$input$h2_prior, c(0.5, 0.25, 0.125, 0.125))
  expect_equal(b$input$h2F_prior, rep(0.25, 4))
  expect_identical(b$input$psi_V, 2)
  expect_identical(b$input$psi_nu, 3)
  expect_s3_class(b$info$prior, "slam_prior")
})

test_that("a model without fixed effects (b = 0) is neither centred nor broken", {
  d <- mock_data()
  b <- slam_build_input(cbind(y1, y2) ~ 0 + (1 | animal), data = d, n_factors = 1,
                        nitt = 4, burnin = 1, thin = 1, verbose = FALSE)
  expect_identical(dim(b$input$X), c(60L, 0L))
  expect_identical(dim(b$input$XF), c(60L, 0L))
  raw <- mock_sampler(b$input)
  raw$B <- array(numeric(0), c(0L, 2L, 3L))
  fit <- slam_assemble_fit(b$info, raw)
  expect_identical(dim(fit$draws$B), c(0L, 2L, 3L))
  expect_equal(unname(fit$data_scale$center), c(0, 0))
  expect_equal(unname(fit$H_mean), unname(as.matrix(d[c("y1", "y2")])))
})
