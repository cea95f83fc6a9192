test_that("VarCorr matches a hand computation on a fake fit", {
  fit <- make_fake_fit(p = 4, k = 2, nT = 30)
  vc <- VarCorr(fit)
  hc <- hand_cov(fit)
  expect_s3_class(vc, "VarCorr.SLAMglmm")
  expect_named(vc, c("animal", "Residual"))
  expect_equal(unname(vc$animal), unname(hc$G), tolerance = 1e-12)
  expect_equal(unname(vc$Residual), unname(hc$R), tolerance = 1e-12)
  expect_equal(dimnames(vc$animal), list(fit$traits, fit$traits))
  expect_true(isSymmetric(vc$animal))
})

test_that("VarCorr matches known closed-form values with constant draws", {
  fit <- make_fake_fit(p = 3, k = 1, nT = 5)
  fit$draws$Lambda[] <- c(1, 2, 0)            # same in every draw
  fit$draws$h2F[] <- 0.5
  fit$draws$h2[] <- 0.2
  fit$draws$psi[] <- c(1, 2, 4)
  vc <- VarCorr(fit)
  G <- matrix(c(0.5, 1, 0, 1, 2, 0, 0, 0, 0), 3) + diag(c(0.2, 0.4, 0.8))
  R <- matrix(c(0.5, 1, 0, 1, 2, 0, 0, 0, 0), 3) + diag(c(0.8, 1.6, 3.2))
  expect_equal(unname(vc$animal), G)
  expect_equal(unname(vc$Residual), R)
})

test_that("VarCorr with no random term returns Residual = Lambda Lambda' + diag(psi)", {
  fit <- make_fake_fit(p = 3, k = 2, nT = 10, term = NULL)
  vc <- VarCorr(fit)
  expect_named(vc, "Residual")
  expect_equal(unname(vc$Residual), unname(hand_cov(fit)$R), tolerance = 1e-12)
  expect_error(genetic_cor(fit), "no random-effect term")
})

test_that("VarCorr works with zero factors and one trait", {
  fit <- make_fake_fit(p = 1, k = 0, nT = 20, fixed = "(Intercept)", fixed_F = character(0))
  vc <- VarCorr(fit)
  expect_equal(dim(vc$animal), c(1L, 1L))
  expect_equal(vc$animal[1, 1], mean(fit$draws$h2 * fit$draws$psi))
  expect_equal(vc$Residual[1, 1], mean((1 - fit$draws$h2) * fit$draws$psi))
  expect_output(print(vc), "Std.Dev.")
})

test_that("VarCorr and h2 are invariant to factor permutations and sign flips", {
  fit <- make_fake_fit(p = 5, k = 3, nT = 25)
  fit2 <- permute_flip_factors(fit)
  expect_false(isTRUE(all.equal(fit$draws$Lambda, fit2$draws$Lambda)))
  v1 <- VarCorr(fit)
  v2 <- VarCorr(fit2)
  expect_equal(v1$animal, v2$animal, tolerance = 1e-12)
  expect_equal(v1$Residual, v2$Residual, tolerance = 1e-12)
  # recompute h2_total from the draws (not the stored array) for both
  fit$draws$h2_total <- NULL
  fit2$draws$h2_total <- NULL
  expect_equal(h2(fit), h2(fit2), tolerance = 1e-12)
  expect_equal(fixef(fit), fixef(fit2), tolerance = 1e-12)
  expect_equal(genetic_cor(fit), genetic_cor(fit2), tolerance = 1e-12)
})

test_that("stored h2_total agrees with diag(G)/diag(P) recomputed per draw", {
  fit <- make_fake_fit(p = 4, k = 2, nT = 15)
  expect_equal(unname(slam_h2_total_from_draws(fit)), unname(fit$draws$h2_total), tolerance = 1e-12)
})

test_that("VarCorr intervals bracket the per-entry posterior and are limited to p <= 50", {
  fit <- make_fake_fit(p = 3, k = 2, nT = 200)
  vc <- VarCorr(fit, interval = TRUE, prob = 0.9)
  lo <- attr(vc$animal, "lower")
  up <- attr(vc$animal, "upper")
  expect_equal(dim(lo), c(3L, 3L))
  expect_true(all(lo <= vc$animal + 1e-12 & vc$animal <= up + 1e-12))
  # the interval of G[1,1] is the quantile interval of its draws
  g11 <- fit$draws$h2[1, ] * fit$draws$psi[1, ] +
    colSums(fit$draws$Lambda[1, , ]^2 * fit$draws$h2F)
  expect_equal(lo[1, 1], unname(quantile(g11, 0.05)))
  expect_equal(up[1, 1], unname(quantile(g11, 0.95)))
  expect_output(print(vc), "interval")
  big <- make_fake_fit(p = 51, k = 1, nT = 3)
  expect_error(VarCorr(big, interval = TRUE), "p <= 50")
  expect_silent(VarCorr(big))
  expect_error(VarCorr(fit, interval = TRUE, prob = 2), "prob")
})

test_that("as.data.frame of VarCorr lists variances and covariances", {
  fit <- make_fake_fit(p = 3, k = 2, nT = 10)
  vc <- VarCorr(fit)
  df <- as.data.frame(vc)
  expect_equal(nrow(df), 2 * 6)
  expect_named(df, c("grp", "var1", "var2", "vcov", "sdcor"))
  v <- df[df$grp == "animal" & df$var1 == "y2" & is.na(df$var2), ]
  expect_equal(v$vcov, vc$animal["y2", "y2"])
  cv <- df[df$grp == "animal" & df$var1 == "y1" & df$var2 %in% "y3", ]
  expect_equal(cv$sdcor, cov2cor(vc$animal)["y1", "y3"])
})

test_that("pure-R and Rust posterior-mean covariances agree", {
  set.seed(3)
  p <- 40; k <- 4; nT <- 30
  L <- array(rnorm(p * k * nT), c(p, k, nT))
  W <- matrix(runif(k * nT), k, nT)
  D <- matrix(rgamma(p * nT, 2), p, nT)
  ref <- 0
  for (t in seq_len(nT)) ref <- ref + L[, , t] %*% diag(W[, t]) %*% t(L[, , t])
  ref <- ref / nT + diag(rowMeans(D))
  expect_equal(cov_mean_r(L, W, D), ref, tolerance = 1e-12)
  expect_equal(cov_mean(L, W, D, engine = "r"), ref, tolerance = 1e-12)
  skip_if_not(rust_cov_available(), "Rust helper slam_cov_mean_rust() not built")
  expect_equal(cov_mean(L, W, D, engine = "rust"), ref, tolerance = 1e-10)
  expect_equal(cov_mean(L, W, D, threads = 2L, engine = "rust"), ref, tolerance = 1e-10)
})

test_that("genetic_cor is the correlation of the posterior-mean G, with intervals", {
  fit <- make_fake_fit(p = 4, k = 2, nT = 100)
  gc <- genetic_cor(fit)
  expect_equal(gc, cov2cor(VarCorr(fit)$animal))
  expect_equal(unname(diag(gc)), rep(1, 4))
  gci <- genetic_cor(fit, interval = TRUE)
  expect_true(all(attr(gci, "lower") >= -1 - 1e-12 & attr(gci, "upper") <= 1 + 1e-12))
  expect_equal(genetic_cor(fit, "Residual"), cov2cor(VarCorr(fit)$Residual))
  expect_error(genetic_cor(fit, "cage"), "animal")
})
