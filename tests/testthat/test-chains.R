# Several chains: seeds, backends, pooling, diagnostics and conversions.

chain_fit <- function(chains = 3, seed = 1, ...) {
  data(slam_pheno, slam_kinship, package = "SLAMglmm", envir = environment())
  set.seed(seed)
  SLAMglmm(cbind(y1, y2, y3) ~ sex + (1 | animal), data = slam_pheno,
           relmat = list(animal = slam_kinship), n_factors = 2, chains = chains,
           nitt = 500, burnin = 200, thin = 2, verbose = FALSE, ...)
}

test_that("chain 1 of several is the one-chain fit, and chains differ", {
  f3 <- chain_fit(3)
  f1 <- chain_fit(1)
  expect_equal(f3$mcmc$chains, 3L)
  expect_equal(as.vector(table(f3$mcmc$chain)), rep(150L, 3))
  expect_identical(f1$draws$psi, f3$draws$psi[, f3$mcmc$chain == 1L])
  expect_identical(f1$draws$B, f3$draws$B[, , f3$mcmc$chain == 1L])
  expect_false(isTRUE(all.equal(f3$draws$psi[, f3$mcmc$chain == 1L], f3$draws$psi[, f3$mcmc$chain == 2L])))
  expect_length(unique(lapply(f3$mcmc$per_chain, `[[`, "seed")), 3L)
})

test_that("draws do not depend on the future backend or the number of workers", {
  skip_on_cran()
  seq_fit <- chain_fit(3)
  old <- future::plan(future::multisession, workers = 2)
  on.exit(future::plan(old), add = TRUE)
  par_fit <- chain_fit(3)
  expect_identical(seq_fit$draws, par_fit$draws)
  expect_identical(seq_fit$U_mean, par_fit$U_mean)
  expect_identical(seq_fit$mcmc$per_chain, par_fit$mcmc$per_chain)
})

test_that("pooled posterior means are the draw-weighted means of the chains", {
  f3 <- chain_fit(3)
  # covariance matrices are means over draws: pooling them must give the average of the chains',
  # even where the chains kept different numbers of factors (padded with empty factors)
  sub <- function(c) {
    f <- f3
    keep <- f3$mcmc$chain == c
    k <- f3$mcmc$per_chain[[c]]$n_factors
    f$draws$Lambda <- f3$draws$Lambda[, seq_len(k), keep, drop = FALSE]
    f$draws$h2F <- f3$draws$h2F[seq_len(k), keep, drop = FALSE]
    f$draws$psi <- f3$draws$psi[, keep, drop = FALSE]
    f$draws$h2 <- f3$draws$h2[, keep, drop = FALSE]
    f$draws$h2_total <- f3$draws$h2_total[, keep, drop = FALSE]
    f$n_factors <- k
    f
  }
  G_pool <- VarCorr(f3)$animal
  G_avg <- Reduce(`+`, lapply(1:3, function(c) VarCorr(sub(c))$animal)) / 3
  expect_equal(unclass(G_pool), unclass(G_avg), tolerance = 1e-10, ignore_attr = TRUE)
  expect_equal(dim(f3$draws$Lambda)[2L], max(vapply(f3$mcmc$per_chain, `[[`, 1L, "n_factors")))
})

test_that("R-hat is near 1 for long well-mixed chains", {
  skip_on_cran()
  set.seed(3)
  d <- data.frame(g = factor(rep(1:40, each = 5)))
  d$y <- rnorm(40)[d$g] + rnorm(200)
  fit <- SLAMglmm(y ~ 1 + (1 | g), data = d, n_factors = 0, chains = 4,
                  nitt = 2200, burnin = 200, thin = 4, verbose = FALSE)
  dg <- slam_diagnostics(fit)
  expect_true(all(c("fixef[(Intercept),y]", "h2_total[y]", "var_g[y]", "var_Residual[y]") %in% dg$variable))
  # 4 chains x 500 draws of a quickly mixing model: R-hat's Monte-Carlo spread is about 0.005
  expect_lt(max(dg$rhat, na.rm = TRUE), 1.03)
  expect_gt(min(dg$ess_bulk, na.rm = TRUE), 400)
  expect_silent(s <- summary(fit))
  expect_match(s$convergence_line, "4 chains x 500 draws")
})

test_that("R-hat is clearly above 1 when chains sit in different places", {
  set.seed(4)
  d <- data.frame(g = factor(rep(1:30, each = 4)))
  d$y <- rnorm(30)[d$g] + rnorm(120)
  one <- function(shift) {
    d$y <- d$y + shift
    SLAMglmm(y ~ 1 + (1 | g), data = d, n_factors = 0, nitt = 300, burnin = 100, thin = 1,
             verbose = FALSE)
  }
  # two chains of the same model whose draws disagree, as chains stuck in different modes would
  fits <- list(one(0), one(3))
  pooled <- SLAMglmm:::slam_combine_chains(fits, list(c(1, 1), c(2, 2)))
  dg <- slam_diagnostics(pooled)
  expect_gt(dg$rhat[dg$variable == "fixef[(Intercept),y]"], 1.5)
  expect_warning(summary(pooled), "R-hat above 1.01")
})

test_that("as_draws and as.mcmc.list keep chains and values", {
  f3 <- chain_fit(3)
  a <- posterior::as_draws_array(f3)
  expect_equal(posterior::nchains(a), 3L)
  expect_equal(posterior::niterations(a), 150L)
  flat <- slam_draws(f3, c("fixef", "h2_total", "variances"))
  for (v in colnames(flat)) {
    expect_equal(as.vector(a[, , v]), unname(flat[, v]))
  }
  df <- posterior::as_draws_df(f3, what = "psi")
  expect_equal(df$.chain, f3$mcmc$chain)
  expect_equal(df[["psi[y2]"]], unname(f3$draws$psi["y2", ]))
  m <- coda::as.mcmc.list(f3, what = "h2_total")
  expect_length(m, 3L)
  expect_equal(stats::start(m[[2]]), 202)
  grDevices::pdf(NULL)
  on.exit(grDevices::dev.off(), add = TRUE)
  expect_silent(plot(f3, which = "trace"))
  expect_equal(as.vector(m[[2]][, "h2_total[y1]"]), unname(f3$draws$h2_total["y1", f3$mcmc$chain == 2L]))
  # diag(G) per draw from the variances equals the per-draw covariance matrices' diagonal
  G <- slam_draws(f3, "G")
  expect_equal(unname(flat[, "var_animal[y2]"]), unname(G[, "G[y2,y2]"]), tolerance = 1e-12)
})

test_that("chains: bad values are classed errors; progress is reported per percent", {
  expect_error(chain_fit(0), class = "slamglmm_input_error")
  expect_error(chain_fit(1.5), class = "slamglmm_input_error")
  expect_error(chain_fit("two"), class = "slamglmm_input_error")
  data(slam_pheno, slam_kinship, package = "SLAMglmm", envir = environment())
  built <- SLAMglmm:::slam_build_input(cbind(y1, y2) ~ sex + (1 | animal), data = slam_pheno,
                                       relmat = list(animal = slam_kinship), n_factors = 1,
                                       nitt = 300, burnin = 100, thin = 2, verbose = FALSE)
  ticks <- 0
  built$input$progress <- function(amount) ticks <<- ticks + amount
  SLAMglmm:::slam_run_sampler(built$input)
  expect_equal(ticks, 100)
})
