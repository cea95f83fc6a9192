# Non-Gaussian traits through SLAMglmm(): what the fit holds, and agreement
# with lme4's glmer on the same data where lme4 fits the same model (probit
# with a random intercept; Poisson with an observation-level random effect,
# which is the Poisson-lognormal family).

# Four latent traits sharing one factor, sire effects, observed as a binary,
# an ordinal, a Gaussian and a count trait.
family_data <- function(n_fam = 50, per = 6, seed = 3) {
  set.seed(seed)
  n <- n_fam * per
  fam <- rep(seq_len(n_fam), each = per)
  d <- data.frame(sire = factor(fam))
  f <- rnorm(n_fam)[fam] * sqrt(0.3) + rnorm(n) * sqrt(0.7)
  H <- sapply(c(0.8, 0.6, 0.7, 0.5), function(l) l * f + rnorm(n_fam, sd = 0.3)[fam] + rnorm(n, sd = 0.5))
  d$awn <- as.integer(H[, 1] + 0.2 > 0)
  d$culm <- cut(H[, 2], c(-Inf, -0.3, 0.5, Inf), labels = c("erect", "mid", "spread"),
                ordered_result = TRUE)
  d$height <- 100 + 10 * H[, 3]
  d$count <- rpois(n, exp(2 + H[, 4]))
  d$lib <- exp(rnorm(n, 0, 0.2))
  d$count[c(5, 17)] <- NA
  d$awn[c(3, 40)] <- NA
  d
}

fit_families <- function(d, ...) {
  SLAMglmm(cbind(awn, culm, height, count) ~ 1 + (1 | sire), data = d,
           family = list(awn = "probit", culm = "ordinal", count = slam_negbin(offset = log(d$lib))),
           n_factors = 2, nitt = 900, burnin = 300, thin = 3, verbose = FALSE, ...)
}

test_that("a model mixing families has the documented pieces", {
  skip_on_cran()
  d <- family_data()
  set.seed(1)
  fit <- fit_families(d)
  expect_identical(unname(fit$family), c("probit", "ordinal", "gaussian", "negbin"))
  expect_identical(fit$class_levels$culm, c("erect", "mid", "spread"))
  # psi of liability-scale traits is fixed at 1 and they are not rescaled
  expect_true(all(fit$draws$psi[c("awn", "culm"), ] == 1))
  expect_equal(unname(fit$data_scale$scale[c("awn", "culm", "count")]), c(1, 1, 1))
  expect_equal(unname(fit$data_scale$center[c("awn", "culm", "count")]), c(0, 0, 0))
  # family parameters: one free cut-point and one size
  fp <- family_params(fit)
  expect_identical(fp$parameter, c("culm:mid|spread", "count:size"))
  expect_identical(fp$type, c("cutpoint", "size"))
  expect_true(all(fit$draws$family["culm:mid|spread", ] > 0))
  expect_true(all(fit$draws$family["count:size", ] > 0))
  expect_true(all(fp$acceptance > 0.05 & fp$acceptance < 0.95))
  expect_true(is.na(fit$acceptance["height"]) && is.na(fit$acceptance["awn"]))
  # fixef reports the cut-points of the ordinal trait only
  fe <- fixef(fit)
  expect_identical(rownames(fe), c("(Intercept)", "cut1", "cut2"))
  expect_equal(unname(fe["cut1", "culm"]), 0)
  expect_true(all(is.na(fe[c("cut1", "cut2"), c("awn", "height", "count")])))
  fei <- fixef(fit, interval = TRUE)
  expect_identical(fei$effect[fei$trait == "culm"], c("(Intercept)", "cut1", "cut2"))
  expect_false(anyNA(fei$estimate))
  # response-scale fitted values and class probabilities
  fr <- fitted(fit, type = "response")
  expect_true(all(fr[, "awn"] > 0 & fr[, "awn"] < 1))
  expect_true(all(fr[, "culm"] >= 1 & fr[, "culm"] <= 3))
  expect_true(all(fr[, "count"] > 0))
  expect_equal(fr[, "height"], fitted(fit)[, "height"])
  expect_equal(unname(rowSums(fit$class_probs$culm)), rep(1, nrow(d)), tolerance = 1e-10)
  expect_identical(colnames(fit$class_probs$culm), c("erect", "mid", "spread"))
  # the latent layer of a probit trait is a liability: positive where y = 1 on average
  H <- fitted(fit)
  expect_gt(mean(H[which(d$awn == 1), "awn"]), mean(H[which(d$awn == 0), "awn"]))
  # variance proportions say which scale they are on
  h <- h2(fit)
  expect_identical(h$scale, c("liability", "liability", "data", "log"))
  ho <- h2(fit, type = "observed")
  expect_true(is.finite(ho$estimate[1]) && all(is.na(ho$estimate[2:4])))
  expect_lt(ho$estimate[1], h$estimate[1])      # observed-scale h2 of a binary trait is smaller
  # residuals of count traits are on the response scale
  r <- residuals(fit)
  expect_equal(r[, "count"], d$count - fr[, "count"])
  # draws, printing, summary
  expect_identical(colnames(slam_draws(fit, "family")), c("family[culm:mid|spread]", "family[count:size]"))
  out <- paste(capture.output(print(fit)), collapse = "\n")
  expect_match(out, "Families: 1 gaussian, 1 probit")
  sout <- paste(capture.output(print(summary(fit))), collapse = "\n")
  expect_match(sout, "Observation-model parameters")
  expect_match(sout, "count:size")
  vout <- paste(capture.output(print(VarCorr(fit))), collapse = "\n")
  expect_match(vout, "awn \\(liability\\), culm \\(liability\\), count \\(log\\)")
})

test_that("set.seed() fixes the draws of non-Gaussian traits, with 1 or 2 threads", {
  skip_on_cran()
  d <- family_data(n_fam = 20)
  set.seed(5)
  a <- fit_families(d, threads = 1)
  set.seed(5)
  b <- fit_families(d, threads = 2)
  expect_identical(a$draws$family, b$draws$family)
  expect_identical(a$draws$h2_total, b$draws$h2_total)
  expect_identical(a$fitted_response, b$fitted_response)
})

test_that("probit variance proportion agrees with glmer (probit link, random intercept)", {
  skip_on_cran()
  set.seed(11)
  n_s <- 120
  per <- 8
  d <- data.frame(s = factor(rep(seq_len(n_s), each = per)))
  u <- rnorm(n_s, sd = sqrt(0.5))[d$s]
  d$x <- rnorm(nrow(d))
  d$y <- as.integer(0.3 + 0.5 * d$x + u + rnorm(nrow(d)) > 0)
  set.seed(2)
  fit <- SLAMglmm(y ~ x + (1 | s), data = d, family = binomial(link = "probit"), n_factors = 0,
                  nitt = 4000, burnin = 1000, thin = 3, verbose = FALSE)
  g <- lme4::glmer(y ~ x + (1 | s), data = d, family = binomial(link = "probit"))
  s2 <- as.numeric(lme4::VarCorr(g)$s)
  # glmer: liability = x b + u + e with Var(e) = 1; SLAMglmm: Var(u) + Var(e) = psi = 1, so the
  # share of the sire is s2 / (1 + s2), and coefficients are scaled by sqrt(1 - h2).
  h <- fit$draws$h2[1, ]
  expect_lt(abs(mean(h) - s2 / (1 + s2)), 2.5 * sd(h))
  bx <- fit$draws$B["x", "y", ] / sqrt(1 - h)
  expect_lt(abs(mean(bx) - lme4::fixef(g)[["x"]]), 2.5 * sd(bx))
})

test_that("Poisson-lognormal variances agree with glmer (Poisson, observation-level effect)", {
  skip_on_cran()
  set.seed(12)
  n_s <- 100
  per <- 6
  d <- data.frame(s = factor(rep(seq_len(n_s), each = per)))
  d$obs <- factor(seq_len(nrow(d)))
  d$y <- rpois(nrow(d), exp(2 + rnorm(n_s, sd = sqrt(0.3))[d$s] + rnorm(nrow(d), sd = sqrt(0.2))))
  set.seed(3)
  fit <- SLAMglmm(y ~ 1 + (1 | s), data = d, family = poisson(), n_factors = 0,
                  nitt = 4000, burnin = 1000, thin = 3, verbose = FALSE)
  g <- lme4::glmer(y ~ 1 + (1 | s) + (1 | obs), data = d, family = poisson)
  vc <- lme4::VarCorr(g)
  vs <- fit$draws$psi[1, ] * fit$draws$h2[1, ]
  ve <- fit$draws$psi[1, ] * (1 - fit$draws$h2[1, ])
  expect_lt(abs(mean(vs) - as.numeric(vc$s)), 2.5 * sd(vs))
  expect_lt(abs(mean(ve) - as.numeric(vc$obs)), 2.5 * sd(ve))
  expect_gt(fit$acceptance[["y"]], 0.8)
})

test_that("known precision weights pull a Gaussian trait's latent value to the data", {
  skip_on_cran()
  d <- family_data(n_fam = 20)
  w_hi <- rep(1e4, nrow(d))
  set.seed(4)
  fit <- SLAMglmm(height ~ 1 + (1 | sire), data = d, weights = w_hi, n_factors = 0,
                  nitt = 600, burnin = 200, thin = 2, verbose = FALSE)
  expect_equal(unname(fitted(fit)[, 1]), d$height, tolerance = 1e-2)
  w_lo <- rep(1e-4, nrow(d))
  set.seed(4)
  fit2 <- SLAMglmm(height ~ 1 + (1 | sire), data = d, weights = w_lo, n_factors = 0,
                   nitt = 600, burnin = 200, thin = 2, verbose = FALSE)
  # with nearly no information per entry, the latent values shrink to the group means
  expect_lt(sd(fitted(fit2)[, 1]), 0.5 * sd(d$height))
})

test_that("bad family inputs stop before Rust runs, naming the argument", {
  d <- family_data(n_fam = 10)
  bad <- function(...) SLAMglmm(cbind(awn, height) ~ 1 + (1 | sire), data = d, nitt = 5,
                                burnin = 1, thin = 1, verbose = FALSE, ...)
  expect_error(bad(family = list(awn = "logit")), "probit", class = "slamglmm_input_error")
  expect_error(bad(family = list(nope = "probit")), "not in the response", class = "slamglmm_input_error")
  d$awn[1] <- 2
  expect_error(bad(family = list(awn = "probit")), "awn.*value\\(s\\) 2", class = "slamglmm_input_error")
  d$awn[1] <- 1
  expect_error(SLAMglmm(cbind(count, height) ~ 1 + (1 | sire), data = transform(d, count = -1),
                        family = list(count = "negbin"), nitt = 5, burnin = 1, thin = 1,
                        verbose = FALSE),
               "count.*negative", class = "slamglmm_input_error")
  expect_error(SLAMglmm(cbind(count, height) ~ 1 + (1 | sire), data = d,
                        family = list(count = slam_negbin(offset = 1:3)), nitt = 5, burnin = 1,
                        thin = 1, verbose = FALSE), "offset.*length 3", class = "slamglmm_input_error")
  expect_error(SLAMglmm(height ~ 1 + (1 | sire), data = d, weights = rep(-1, nrow(d)), nitt = 5,
                        burnin = 1, thin = 1, verbose = FALSE), "weights",
               class = "slamglmm_input_error")
  e <- tryCatch(bad(family = list(awn = "logit")), slamglmm_input_error = function(e) e)
  expect_identical(e$arg, "family")
})
