# Several random-effect terms, R side only (no sampler): parsing, the simplex
# grid and its prior weights, the order of the terms given to Rust, the
# mapping of the per-term output back to formula order, and the arguments of
# the grid route and of the adaptive number of factors.

d_terms <- function(n = 60, seed = 4) {
  d <- mock_data(n, seed)
  d$batch <- factor(rep(sprintf("b%d", 1:6), length.out = n))
  d$dam <- factor(sprintf("d%02d", rep(1:15, length.out = n)))
  d
}

test_that("several terms are parsed in formula order, with Z and K each", {
  d <- d_terms()
  K <- mock_kinship(d$animal)
  # lme4 would put the term with the most levels first; we keep formula order
  pf <- slam_parse_formula(cbind(y1, y2) ~ sex + (1 | batch) + (1 | animal) + (1 | dam),
                           data = d, relmat = list(animal = K))
  expect_named(pf$terms, c("batch", "animal", "dam"))
  expect_identical(pf$factor_terms, c("batch", "animal", "dam"))
  expect_identical(dim(pf$terms$batch$Z), c(60L, 6L))
  expect_identical(dim(pf$terms$animal$Z), c(60L, 60L))
  expect_identical(dim(pf$terms$dam$Z), c(60L, 15L))
  expect_null(pf$terms$batch$K)
  expect_equal(pf$terms$animal$K, K)
  expect_true(pf$terms$animal$relmat_given)
  expect_false(pf$terms$dam$relmat_given)
  for (t in pf$terms) expect_true(all(rowSums(t$Z) == 1))
  expect_identical(pf$terms$dam$levels[apply(pf$terms$dam$Z, 1, which.max)], as.character(d$dam))
  # the default factor formula: fixed covariates without intercept, all terms
  expect_equal(deparse(pf$factor_formula), "~sex")
  expect_identical(colnames(pf$XF), "sexM")
})

test_that("factor_formula may hold random-effect terms of the formula", {
  d <- d_terms()
  f <- cbind(y1, y2) ~ sex + x + (1 | animal) + (1 | batch) + (1 | dam)
  pf <- slam_parse_formula(f, data = d, factor_formula = ~ x + (1 | dam) + (1 | animal))
  expect_identical(pf$factor_terms, c("animal", "dam"))          # formula order
  expect_identical(colnames(pf$XF), "x")
  expect_equal(deparse(pf$factor_formula), "~x")
  # only random terms: no factor covariates
  pf2 <- slam_parse_formula(f, data = d, factor_formula = ~ (1 | animal))
  expect_identical(pf2$factor_terms, "animal")
  expect_identical(dim(pf2$XF), c(60L, 0L))
  # fixed effects only: no random term on the factors
  pf3 <- slam_parse_formula(f, data = d, factor_formula = ~ sex)
  expect_identical(pf3$factor_terms, character(0))
  # every factor term must be a trait term
  expect_error(slam_parse_formula(cbind(y1, y2) ~ (1 | animal), data = d,
                                  factor_formula = ~ (1 | animal) + (1 | dam)),
               "\\(1 \\| dam\\) that are not in `formula`")
  expect_error(slam_parse_formula(f, data = d, factor_formula = ~ (0 + x | dam)),
               "only random intercepts")
})

test_that("the simplex grid has choose(d - 1 + M, M) rows summing to < 1", {
  for (M in 1:4) {
    for (dv in c(1, 2, 5, 10)) {
      g <- as.matrix(slam_h2_grid(dv, M))
      G <- choose(dv - 1 + M, M)
      expect_identical(nrow(g), as.integer(G), info = paste(M, dv))
      expect_identical(slam_grid_size(dv, M), as.integer(G))
      expect_identical(ncol(g), as.integer(M))
      expect_true(all(g >= 0), info = paste(M, dv))
      expect_true(all(rowSums(g) < 1 - 1e-12), info = paste(M, dv))
      # shares are multiples of 1/d, every point once, and all are there
      idx <- round(g * dv)
      expect_equal(g, idx / dv)
      expect_false(anyDuplicated(idx) > 0)
      expect_true(all(rowSums(idx) <= dv - 1))
    }
  }
  # M = 1 is the old grid, as a vector
  expect_identical(slam_h2_grid(20, 1), seq(0, 1, length.out = 21)[-21])
  expect_identical(slam_h2_grid(20), slam_prior()$h2_grid)
  expect_null(dim(slam_h2_grid(7, 1)))
  # M = 2, d = 3: (0,0) (1/3,0) (2/3,0) (0,1/3) (1/3,1/3) (0,2/3), first term fastest
  expect_equal(slam_h2_grid(3, 2), cbind(c(0, 1, 2, 0, 1, 0), c(0, 0, 0, 1, 1, 2)) / 3)
  expect_identical(nrow(slam_h2_grid(20, 2)), 210L)
  expect_identical(nrow(slam_h2_grid(20, 3)), 1540L)
})

test_that("the grid and weights follow the number of terms; factors avoid non-factor terms", {
  pr <- slam_prior(h2 = list(divisions = 5))
  p1 <- slam_prior_for_terms(pr, "animal")
  expect_identical(p1$h2_grid, slam_h2_grid(5))
  expect_equal(p1$h2$trait, rep(0.2, 5))
  p0 <- slam_prior_for_terms(pr, character(0))
  expect_identical(p0$h2_grid, 0)
  p2 <- slam_prior_for_terms(pr, c("animal", "batch"), factor_terms = "animal")
  g <- p2$h2_grid
  expect_identical(colnames(g), c("animal", "batch"))
  expect_identical(nrow(g), 15L)
  expect_equal(p2$h2$trait, rep(1 / 15, 15))
  # factors: weight 0 wherever batch (not a factor term) has a positive share
  expect_true(all(p2$h2$factor[g[, "batch"] > 0] == 0))
  expect_equal(p2$h2$factor[g[, "batch"] == 0], rep(1 / 5, 5))
  # no random term on the factors: all factor weight on the point 0
  p3 <- slam_prior_for_terms(pr, c("animal", "batch"), factor_terms = character(0))
  expect_equal(p3$h2$factor, as.numeric(rowSums(g) == 0))
  p4 <- slam_prior_for_terms(pr, "animal", factor_terms = character(0))
  expect_equal(p4$h2$factor, c(1, 0, 0, 0, 0))
  # user weights: a function of the grid, or a vector of the right length
  pf <- slam_prior(h2 = list(divisions = 5, trait = function(g) ifelse(rowSums(g) == 0, 3, 1)))
  p5 <- slam_prior_for_terms(pf, c("a", "b"))
  expect_equal(p5$h2$trait, ifelse(rowSums(p5$h2_grid) == 0, 3, 1) / 17)
  p6 <- slam_prior_for_terms(slam_prior(h2 = list(divisions = 5, factor = 1:15)), c("a", "b"))
  expect_equal(p6$h2$factor, (1:15) / 120)
  expect_error(slam_prior_for_terms(slam_prior(h2 = list(divisions = 5, trait = 5:1)), c("a", "b")),
               "prior\\$h2\\$trait must have one weight per grid point.*15 points")
  expect_error(slam_prior(h2 = list(divisions = 5, trait = 1:7)), "prior\\$h2\\$trait.*length 5")
  # factor weights only where a non-factor term is positive: error
  w <- function(g) as.numeric(g[, "b"] > 0)
  expect_error(slam_prior_for_terms(slam_prior(h2 = list(divisions = 5, factor = w)), c("a", "b"), "a"),
               "prior\\$h2\\$factor puts no weight")
})

test_that("terms go to Rust in formula order, with the grid in formula order", {
  d <- d_terms()
  K <- mock_kinship(c(d$animal, "x1", "x2"))
  b <- slam_build_input(cbind(y1, y2) ~ sex + (1 | batch) + (1 | animal) + (1 | dam), data = d,
                        relmat = list(animal = K), factor_formula = ~ sex + (1 | animal),
                        n_factors = 2, nitt = 5, burnin = 1, thin = 1, verbose = FALSE,
                        prior = list(h2 = list(divisions = 6)))
  inp <- b$input
  expect_length(inp$terms, 3L)
  expect_identical(dim(inp$terms[[1]]$Z), c(60L, 6L))           # batch
  expect_identical(dim(inp$terms[[2]]$Z), c(60L, 62L))          # animal
  expect_identical(dim(inp$terms[[3]]$Z), c(60L, 15L))          # dam
  expect_equal(unname(inp$terms[[2]]$K), unname(K))
  expect_null(inp$terms[[1]]$K)
  expect_null(inp$terms[[3]]$K)
  for (t in inp$terms) expect_identical(typeof(t$Z), "double")
  G <- choose(6 - 1 + 3, 3)
  expect_identical(dim(inp$h2_grid), c(as.integer(G), 3L))
  expect_identical(typeof(inp$h2_grid), "double")
  expect_true(all(rowSums(inp$h2_grid) < 1))
  # the stored grid and the input's are the same, in formula order, the first term fastest
  g <- b$info$prior$h2_grid
  expect_identical(colnames(g), c("batch", "animal", "dam"))
  expect_equal(unname(g), inp$h2_grid)
  expect_equal(inp$h2_grid, slam_h2_grid(6, 3))
  expect_length(inp$h2_prior, G)
  expect_length(inp$h2F_prior, G)
  expect_equal(sum(inp$h2F_prior), 1)
  # factors: only animal (column 2) may be positive
  expect_true(all(inp$h2F_prior[rowSums(inp$h2_grid[, c(1, 3)]) > 0] == 0))
  expect_true(all(inp$h2F_prior[rowSums(inp$h2_grid[, c(1, 3)]) == 0] > 0))
  expect_identical(b$info$factor_terms, "animal")
  # settings of the route and of the adaptive number of factors
  expect_identical(inp$grid_route, "auto")
  expect_identical(inp$cache_mb, 1024L)
  expect_true(inp$adapt)
  expect_identical(inp$k_max, 2L)           # max(2k, k + 5) = 7, at most p = 2
  expect_identical(inp$adapt_epsilon, 0.15)
  # memory estimate: every term but the largest (animal) is cached
  expect_identical(b$info$grid$r_extra, 21L)
  d$g2 <- factor(rep(1:6, each = 10))
  b2 <- slam_build_input(y1 ~ (1 | batch) + (1 | g2), data = d, n_factors = 0, nitt = 5,
                         burnin = 1, thin = 1, verbose = FALSE)
  expect_false(b2$input$adapt)                # nothing to adapt with n_factors = 0
})

test_that("a relmat for a further term, singular or not PSD", {
  d <- d_terms()
  Kd <- diag(15)
  dimnames(Kd) <- list(levels(d$dam), levels(d$dam))
  Kd[1, 2] <- Kd[2, 1] <- 1                           # dams 1 and 2 identical: singular
  b <- slam_build_input(y1 ~ (1 | animal) + (1 | dam), data = d, relmat = list(dam = Kd),
                        n_factors = 0, nitt = 5, burnin = 1, thin = 1, verbose = FALSE)
  expect_equal(unname(b$input$terms[[2]]$K), unname(Kd))
  expect_null(b$input$terms[[1]]$K)
  Kbad <- Kd
  Kbad[1, 3] <- Kbad[3, 1] <- 2
  expect_error(slam_build_input(y1 ~ (1 | animal) + (1 | dam), data = d, relmat = list(dam = Kbad),
                                n_factors = 0, nitt = 5, burnin = 1, thin = 1, verbose = FALSE),
               "`relmat\\$dam` is not positive semi-definite")
  Kasym <- Kd
  Kasym[1, 4] <- 0.5
  expect_error(slam_build_input(y1 ~ (1 | animal) + (1 | dam), data = d, relmat = list(dam = Kasym),
                                n_factors = 0, nitt = 5, burnin = 1, thin = 1, verbose = FALSE),
               "`relmat\\$dam` is not symmetric")
})

test_that("grid route, memory and adaptation arguments are checked and reported", {
  d <- d_terms()
  bi <- function(...) slam_build_input(cbind(y1, y2) ~ (1 | animal) + (1 | batch), data = d,
                                       nitt = 5, burnin = 1, thin = 1, ...)
  expect_error(bi(grid_route = "fast", verbose = FALSE), "`grid_route` must be one of")
  expect_error(bi(memory_mb = 0, verbose = FALSE), "`memory_mb` must be >= 1")
  expect_error(bi(adapt = NA, verbose = FALSE), "`adapt` must be TRUE or FALSE")
  expect_error(bi(n_factors = 3, max_factors = 2, verbose = FALSE),
               "`max_factors` \\(2\\) must be at least `n_factors` \\(3\\)")
  expect_error(bi(adapt_epsilon = 0, verbose = FALSE), "`adapt_epsilon` must be > 0")
  expect_identical(bi(n_factors = 3, max_factors = 9, verbose = FALSE)$input$k_max, 9L)
  expect_identical(bi(n_factors = 3, adapt = FALSE, verbose = FALSE)$input$k_max, 3L)
  expect_false(bi(n_factors = 3, adapt = FALSE, verbose = FALSE)$input$adapt)
  # default with few traits: (M + 1) p factors, not adapted (2 terms, 2 traits: 6)
  expect_identical(bi(verbose = FALSE)$input$k, 6L)
  expect_identical(bi(verbose = FALSE)$input$k_max, 6L)
  expect_false(bi(verbose = FALSE)$input$adapt)
  expect_true(bi(n_factors = 2, verbose = FALSE)$input$adapt)
  expect_identical(bi(n_factors = 4, verbose = FALSE)$input$k, 4L)
  expect_identical(check_max_factors(NULL, 10L, 100L), 20L)
  expect_identical(check_max_factors(NULL, 2L, 100L), 7L)
  expect_identical(check_max_factors(NULL, 2L, 4L), 4L)
  expect_identical(check_max_factors(NULL, 0L, 4L), 4L)
  expect_identical(check_max_factors(NULL, 0L, 1L), 1L)
  expect_identical(check_max_factors(NULL, 6L, 4L), 6L)     # never below the start
  # the route and the memory estimate are printed when verbose
  expect_message(bi(prior = list(h2 = list(divisions = 10)), verbose = TRUE),
                 "G = 55 points; route: full.*r_e = 6 levels.*budget of 1 GiB")
  expect_message(bi(verbose = TRUE), "G = 210 points; route: metropolis")
  expect_message(bi(grid_route = "full", memory_mb = 1, verbose = TRUE),
                 "route: full;.*0.0577 MiB")
  expect_silent(bi(verbose = FALSE))
  info <- slam_grid_route_info("full", 1000, 2, 2000, 100)
  expect_equal(info$memory_mb, 1000 * 2000^2 * 8 / 2^20)
  expect_match(info$text, "over budget")
  expect_identical(slam_grid_route_info("auto", 64, 2, 10, 100)$route, "full")
  expect_identical(slam_grid_route_info("auto", 65, 2, 10, 100)$route, "metropolis")
})

test_that("per-term output in formula order is named by the terms", {
  d <- d_terms()
  b <- slam_build_input(cbind(y1, y2, y3) ~ sex + (1 | batch) + (1 | animal) + (1 | dam), data = d,
                        n_factors = 2, adapt = FALSE, nitt = 12, burnin = 2, thin = 2, verbose = FALSE)
  raw <- mock_sampler(b$input)
  nT <- 5L
  # mark each term (formula order: batch, animal, dam) by a value
  raw$h2 <- array(rep(c(3, 1, 2), each = 3), c(3L, 3L, nT)) / 10
  raw$h2F <- array(rep(c(3, 1, 2), each = 2), c(2L, 3L, nT)) / 100
  raw$h2_total <- array(rep(c(3, 1, 2), each = 3), c(3L, 3L, nT)) / 20
  fit <- slam_assemble_fit(b$info, raw)
  expect_identical(fit$terms, c("batch", "animal", "dam"))
  dr <- fit$draws
  expect_identical(dim(dr$h2), c(3L, 3L, nT))
  expect_identical(dimnames(dr$h2)[1:2], list(c("y1", "y2", "y3"), c("batch", "animal", "dam")))
  expect_identical(dimnames(dr$h2F)[1:2], list(c("F1", "F2"), c("batch", "animal", "dam")))
  expect_true(all(dr$h2[, "animal", ] == 0.1) && all(dr$h2[, "dam", ] == 0.2) &&
                all(dr$h2[, "batch", ] == 0.3))
  expect_true(all(dr$h2F[, "animal", ] == 0.01) && all(dr$h2F[, "batch", ] == 0.03))
  expect_true(all(dr$h2_total[, "dam", ] == 0.1))
  # genetic values: one matrix per term, formula order
  expect_named(fit$U_mean, c("batch", "animal", "dam"))
  s <- fit$data_scale$scale
  expect_equal(unname(fit$U_mean$batch), unname(sweep(raw$U_mean[[1]], 2, s, "*")))
  expect_equal(unname(fit$U_mean$animal), unname(sweep(raw$U_mean[[2]], 2, s, "*")))
  expect_equal(unname(fit$U_mean$dam), unname(sweep(raw$U_mean[[3]], 2, s, "*")))
  expect_identical(rownames(fit$U_mean$batch), levels(d$batch))
  expect_identical(names(ranef(fit)), c("batch", "animal", "dam"))
  # the methods use the per-term draws
  vc <- VarCorr(fit)
  expect_named(vc, c("batch", "animal", "dam", "Residual"))
  expect_equal(unname(diag(vc$dam)), unname(rowMeans(0.2 * fit$draws$psi)) +
                 unname(rowMeans(apply(fit$draws$Lambda^2, c(1, 3), function(l) sum(l * 0.02)))))
  h <- h2(fit)
  expect_identical(unique(h$term), c("batch", "animal", "dam"))
  expect_equal(h$estimate[h$term == "dam"], rep(0.1, 3))
  hs <- h2(fit, type = "specific")
  expect_equal(hs$estimate[hs$term == "batch"], rep(0.3, 3))
  expect_equal(hs$lower[hs$term == "batch"], rep(0.3, 3))
  # the components add up to P draw by draw
  P <- cov_mean(fit$draws$Lambda, matrix(1, 2, nT), fit$draws$psi, engine = "r")
  expect_equal(Reduce(`+`, lapply(vc, unclass)), P, ignore_attr = TRUE)
  expect_match(paste(capture.output(print(fit)), collapse = "\n"), "Heritability \\(dam\\)")
  out <- paste(capture.output(print(summary(fit))), collapse = "\n")
  expect_match(out, "Term: batch.*Term: animal.*Term: dam")
  expect_match(out, "Factors: 2 \\(fixed\\)")
  expect_match(out, "h2F_batch")
  d2 <- slam_draws(fit, c("h2", "G"))
  expect_true(all(c("h2[dam,y2]", "G_batch[y2,y1]") %in% colnames(d2)))
})

test_that("the factor count over burn-in is stored and printed", {
  d <- d_terms()
  b <- slam_build_input(cbind(y1, y2, y3) ~ sex + (1 | animal), data = d, n_factors = 2,
                        nitt = 12, burnin = 4, thin = 2, verbose = FALSE)
  raw <- mock_sampler(b$input)
  raw$k_trace <- c(2L, 3L, 3L, 2L)
  fit <- slam_assemble_fit(b$info, raw)
  expect_true(fit$mcmc$adapt)
  expect_identical(fit$mcmc$k_start, 2L)
  expect_identical(fit$mcmc$k_max, 3L)
  expect_identical(fit$mcmc$k_trace, c(2L, 3L, 3L, 2L))
  expect_output(print(fit), "factors: started 2, ended 2 \\(adaptive during burn-in, at most 3; range over burn-in 2-3\\)")
  expect_output(print(summary(fit)), "Factors: started 2, ended 2")
})
