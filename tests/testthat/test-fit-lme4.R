# Agreement with an established fit (design note, section 6): one trait,
# no factors, one iid grouping factor with many groups. The posterior means of
# the variance components and of the fixed effects must be close to lme4's
# REML estimates. Uses the real (Rust) sampler.

test_that("p = 1, n_factors = 0: variance components and fixed effects match lme4 REML", {
  set.seed(20240611)
  n_g <- 200
  m <- 5
  d <- data.frame(g = factor(sprintf("g%03d", rep(seq_len(n_g), each = m))),
                  x = rnorm(n_g * m))
  u <- rnorm(n_g, sd = 1)                        # sigma_g^2 = 1
  d$y <- 5 + 0.5 * d$x + u[d$g] + rnorm(n_g * m, sd = sqrt(2))  # sigma_e^2 = 2

  ref <- lme4::lmer(y ~ x + (1 | g), data = d, REML = TRUE)
  vc <- as.data.frame(lme4::VarCorr(ref))
  sg_ref <- vc$vcov[vc$grp == "g"]
  se_ref <- vc$vcov[vc$grp == "Residual"]
  b_ref <- lme4::fixef(ref)
  b_se <- sqrt(diag(as.matrix(stats::vcov(ref))))

  set.seed(1)
  fit <- SLAMglmm(y ~ x + (1 | g), data = d, n_factors = 0,
                  nitt = 4000, burnin = 1000, thin = 2, verbose = FALSE)
  expect_identical(fit$mcmc$n_saved, 1500L)
  expect_false(fit$mcmc$interrupted)

  h2 <- fit$draws$h2["y", ]
  psi <- fit$draws$psi["y", ]
  sg <- mean(h2 * psi)           # between-group variance, data scale
  se <- mean((1 - h2) * psi)     # residual variance, data scale

  # The posterior sd of sigma_g^2 with 200 groups is about 0.15 (15%) and that
  # of sigma_e^2 about 0.1 (5%); with 1500 draws the Monte-Carlo error of the
  # means is below 1%. Posterior mean and REML estimate differ by the prior,
  # the h2 grid and the skewness of the posterior (about 1-2% here), so 8% and
  # 4% leave room for those without hiding a wrong scale or variance split.
  expect_lt(abs(sg / sg_ref - 1), 0.08)
  expect_lt(abs(se / se_ref - 1), 0.04)
  # and both near the simulated truth (sanity check of the simulation itself)
  expect_lt(abs(sg_ref - 1), 0.4)
  expect_lt(abs(se_ref - 2), 0.3)

  # fixed effects: the intercept is unpenalised; the slope has a weak
  # shrinkage prior. The posterior mean should be within a fraction of lme4's
  # standard error of its estimate.
  b <- rowMeans(fit$draws$B[, "y", ])
  expect_identical(names(b), c("(Intercept)", "x"))
  expect_lt(abs(b[["(Intercept)"]] - b_ref[["(Intercept)"]]), 0.3 * b_se[1])
  expect_lt(abs(b[["x"]] - b_ref[["x"]]), 0.25 * b_se[2])

  # genetic values: posterior means of U agree with lme4's conditional modes
  re <- lme4::ranef(ref)$g
  u_fit <- fit$U_mean$g[rownames(re), "y"]
  expect_gt(stats::cor(u_fit, re[, 1]), 0.98)
  expect_lt(abs(stats::sd(u_fit) / stats::sd(re[, 1]) - 1), 0.05)

  # the stats generics against lme4's: conditional residuals, residual sd,
  # covariance and intervals of the fixed effects
  r <- residuals(fit)
  expect_identical(dim(r), c(nrow(d), 1L))
  expect_gt(stats::cor(r[, 1], stats::residuals(ref)), 0.99)
  expect_lt(abs(stats::sd(r[, 1]) / stats::sd(stats::residuals(ref)) - 1), 0.03)
  expect_lt(abs(sigma(fit)[["y"]] / stats::sigma(ref) - 1), 0.03)
  V <- vcov(fit)
  expect_identical(rownames(V), c("y:(Intercept)", "y:x"))
  # posterior sds against REML standard errors (Monte-Carlo error of an sd
  # from 1500 autocorrelated draws is a few %)
  expect_lt(max(abs(sqrt(diag(V)) / b_se - 1)), 0.15)
  ci <- confint(fit)
  expect_identical(dim(ci), c(2L, 2L))
  expect_true(all(ci[, 1] < b & b < ci[, 2]))
  ci_ref <- cbind(b_ref - 1.96 * b_se, b_ref + 1.96 * b_se)
  expect_lt(max(abs(ci - ci_ref) / b_se), 0.4)
  expect_identical(rownames(confint(fit, "y:x", level = 0.9)), "y:x")
  expect_error(confint(fit, "x"), "`parm` has unknown name")
  expect_error(confint(fit, level = 2), "`level` must be")
})

test_that("a large data scale (sd 60, mean 1000) also agrees with lme4", {
  set.seed(7)
  n_g <- 150
  m <- 6
  d <- data.frame(g = factor(rep(seq_len(n_g), each = m)))
  d$y <- 1000 + 30 * rnorm(n_g)[d$g] + rnorm(n_g * m, sd = 60)  # sigma_g^2 = 900, sigma_e^2 = 3600
  ref <- lme4::lmer(y ~ 1 + (1 | g), data = d, REML = TRUE)
  vc <- as.data.frame(lme4::VarCorr(ref))
  set.seed(2)
  fit <- SLAMglmm(y ~ 1 + (1 | g), data = d, n_factors = 0,
                  nitt = 4000, burnin = 1000, thin = 2, verbose = FALSE)
  h2 <- fit$draws$h2[1, ]
  psi <- fit$draws$psi[1, ]
  # total and residual variance: tight; the group variance (posterior sd
  # about 20%) a little looser
  tot_ref <- sum(vc$vcov)
  expect_lt(abs(mean(psi) / tot_ref - 1), 0.03)
  expect_lt(abs(mean((1 - h2) * psi) / vc$vcov[vc$grp == "Residual"] - 1), 0.03)
  expect_lt(abs(mean(h2 * psi) / vc$vcov[vc$grp == "g"] - 1), 0.10)
  b_se <- sqrt(as.matrix(stats::vcov(ref))[1, 1])
  expect_lt(abs(mean(fit$draws$B[1, 1, ]) - lme4::fixef(ref)[[1]]), 0.15 * b_se)
  expect_equal(unname(fit$data_scale$center), mean(d$y))
})

test_that("n_factors = 0 with several traits on different scales: one LMM per trait", {
  set.seed(99)
  n_g <- 200
  m <- 5
  d <- data.frame(g = factor(rep(seq_len(n_g), each = m)))
  sd_g <- c(1, 100, 0.004)
  sd_e <- c(1, 150, 0.01)
  for (j in 1:3) {
    d[[paste0("t", j)]] <- 10^(j - 1) + sd_g[j] * rnorm(n_g)[d$g] + rnorm(n_g * m, sd = sd_e[j])
  }
  d$t2[sample.int(nrow(d), 50)] <- NA
  set.seed(3)
  fit <- SLAMglmm(cbind(t1, t2, t3) ~ 1 + (1 | g), data = d, n_factors = 0,
                  nitt = 4000, burnin = 1000, thin = 2, verbose = FALSE)
  for (j in 1:3) {
    tr <- paste0("t", j)
    ref <- lme4::lmer(stats::reformulate("(1 | g)", tr), data = d, REML = TRUE)
    vc <- as.data.frame(lme4::VarCorr(ref))
    h2 <- fit$draws$h2[tr, ]
    psi <- fit$draws$psi[tr, ]
    expect_lt(abs(mean(h2 * psi) / vc$vcov[vc$grp == "g"] - 1), 0.10)
    expect_lt(abs(mean((1 - h2) * psi) / vc$vcov[vc$grp == "Residual"] - 1), 0.05)
    b_se <- sqrt(as.matrix(stats::vcov(ref))[1, 1])
    expect_lt(abs(mean(fit$draws$B[1, tr, ]) - lme4::fixef(ref)[[1]]), 0.25 * b_se)
  }
})

# REML fit of y ~ 1 + (1 | g) with cov(u) = sigma_g^2 K through lme4's modular
# API: u = L v with K = L L' and v iid, so the random-effect design is Z L.
# Returns the variance components, the intercept and the BLUPs of u for the
# levels of K (levels without data predicted from the others through K).
lmer_kinship <- function(y, g, K) {
  d <- data.frame(y = y, g = factor(g))
  lf <- lme4::lFormula(y ~ 1 + (1 | g), data = d,
                       control = lme4::lmerControl(check.nobs.vs.nRE = "ignore"))
  lev <- rownames(lf$reTrms$Zt)
  L <- t(chol(K[lev, lev]))
  lf$reTrms$Zt <- Matrix::Matrix(t(t(as.matrix(lf$reTrms$Zt)) %*% L), sparse = TRUE)
  dev <- do.call(lme4::mkLmerDevfun, lf)
  opt <- lme4::optimizeLmer(dev)
  m <- lme4::mkMerMod(environment(dev), opt, lf$reTrms, fr = lf$fr)
  vc <- as.data.frame(lme4::VarCorr(m))
  u_obs <- drop(L %*% lme4::ranef(m)$g[lev, 1])
  other <- setdiff(rownames(K), lev)
  u_other <- drop(K[other, lev] %*% solve(K[lev, lev], u_obs))
  u <- c(stats::setNames(u_obs, lev), stats::setNames(u_other, other))
  list(sg = vc$vcov[1], se = vc$vcov[2], mu = lme4::fixef(m)[[1]],
       mu_se = sqrt(as.matrix(stats::vcov(m))[1, 1]), u = u[rownames(K)])
}

test_that("with a kinship matrix (reordered, extra levels) p = 1 matches REML", {
  set.seed(101)
  ids <- sprintf("a%03d", 1:450)
  M <- matrix(stats::rbinom(length(ids) * 300, 2, 0.3), length(ids))
  M <- scale(M, scale = FALSE)
  K <- tcrossprod(M) / (2 * 300 * 0.21) + diag(0.05, length(ids))
  dimnames(K) <- list(ids, ids)
  u <- drop(t(chol(K)) %*% rnorm(length(ids)))      # sigma_g^2 = 1
  names(u) <- ids
  d <- data.frame(id = rep(ids[1:400], each = 2))   # 50 animals without records
  d$y <- 3 + u[d$id] + rnorm(nrow(d))               # sigma_e^2 = 1
  ref <- lmer_kinship(d$y, d$id, K)

  Ko <- K[rev(ids), rev(ids)]                       # another order than the data
  set.seed(1)
  fit <- SLAMglmm(y ~ 1 + (1 | id), data = d, relmat = list(id = Ko), n_factors = 0,
                  nitt = 4000, burnin = 1000, thin = 2, verbose = FALSE)
  h2 <- fit$draws$h2[1, ]
  psi <- fit$draws$psi[1, ]
  # posterior sd of h2 is about 0.04 (8%): 8% and 5% leave room for the prior
  # and the grid, as above (observed differences are about 1%)
  expect_lt(abs(mean(h2 * psi) / ref$sg - 1), 0.08)
  expect_lt(abs(mean((1 - h2) * psi) / ref$se - 1), 0.05)
  expect_lt(abs(mean(fit$draws$B[1, 1, ]) - ref$mu), 0.25 * ref$mu_se)
  # genetic values, including the 50 predicted animals, against the BLUPs
  U <- fit$U_mean$id[ids, "y"]
  expect_gt(stats::cor(U, ref$u), 0.98)
  extra <- ids[401:450]
  expect_gt(stats::cor(U[extra], ref$u[extra]), 0.98)
  expect_lt(abs(stats::sd(U) / stats::sd(ref$u) - 1), 0.05)
})
