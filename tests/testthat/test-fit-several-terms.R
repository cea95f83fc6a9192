# End-to-end fits with several random-effect terms (real Rust sampler):
# recovery of the covariance matrices of each term on simulated data, agreement
# with lme4 REML for p = 1, agreement of the two grid routes, the adaptive
# number of factors, and a pedigree data frame in `relmat`.

# Half-sib families (sires with recorded offspring; sires unrecorded) and an
# iid cage effect crossed with them, simulated from the factor model itself
# (one factor), so the true G_animal, G_cage and R are known.
sim_two_term <- function(seed = 1, n_sires = 60, n_off = 10, n_cage = 40) {
  set.seed(seed)
  sires <- paste0("s", seq_len(n_sires))
  off <- paste0("o", seq_len(n_sires * n_off))
  ped <- data.frame(id = c(sires, off), dam = NA,
                    sire = c(rep(NA, n_sires), rep(sires, each = n_off)))
  A <- pedigree_A(ped)
  n <- length(off)
  d <- data.frame(animal = off, cage = factor(sample(rep(seq_len(n_cage), length.out = n))))
  Lam <- matrix(c(1, 0.8, -0.6, 0), 4, 1)
  h2F <- c(animal = 0.5, cage = 0.2)
  h2 <- rbind(animal = c(0.3, 0.5, 0.2, 0.4), cage = c(0.2, 0, 0.3, 0.1))
  psi <- c(0.5, 0.6, 0.8, 1)
  L <- t(chol(A))
  rows <- match(d$animal, rownames(A))
  draw <- function(s2) {
    sqrt(s2[1]) * (L %*% rnorm(nrow(A)))[rows] + sqrt(s2[2]) * rnorm(n_cage)[d$cage] +
      sqrt(1 - sum(s2)) * rnorm(n)
  }
  Y <- draw(h2F) %*% t(Lam)
  for (j in 1:4) Y[, j] <- Y[, j] + sqrt(psi[j]) * draw(h2[, j])
  colnames(Y) <- paste0("y", 1:4)
  truth <- list(
    animal = Lam %*% t(Lam) * h2F[["animal"]] + diag(h2["animal", ] * psi),
    cage = Lam %*% t(Lam) * h2F[["cage"]] + diag(h2["cage", ] * psi),
    Residual = Lam %*% t(Lam) * (1 - sum(h2F)) + diag((1 - colSums(h2)) * psi))
  list(d = cbind(d, Y), A = A, ped = ped, truth = truth)
}

test_that("two terms (animal with kinship + iid cage): VarCorr recovers the truth", {
  s <- sim_two_term()
  set.seed(3)
  elapsed <- system.time(
    fit <- SLAMglmm(cbind(y1, y2, y3, y4) ~ 1 + (1 | animal) + (1 | cage), data = s$d,
                    relmat = list(animal = s$A), n_factors = 2, nitt = 3000, burnin = 1000,
                    thin = 2, prior = list(h2 = list(divisions = 10)), verbose = FALSE)
  )[["elapsed"]]
  expect_lt(elapsed, 20)
  expect_identical(fit$terms, c("animal", "cage"))
  expect_identical(fit$mcmc$grid$route, "full")
  expect_identical(fit$mcmc$grid$G, 55L)
  vc <- VarCorr(fit)
  expect_named(vc, c("animal", "cage", "Residual"))
  # per-draw matrices: posterior sd of each entry, and the Monte Carlo error
  dr <- slam_draws(fit, c("G", "R"))
  tr <- fit$traits
  lt <- which(lower.tri(diag(4), diag = TRUE), arr.ind = TRUE)
  for (nm in names(vc)) {
    prefix <- if (nm == "Residual") "R" else paste0("G_", nm)
    cols <- paste0(prefix, "[", tr[lt[, 1]], ",", tr[lt[, 2]], "]")
    x <- dr[, cols]
    expect_equal(unname(colMeans(x)), unname(vc[[nm]][lt]), tolerance = 1e-8, info = nm)
    psd <- apply(x, 2, sd)
    mcse <- psd / sqrt(pmax(apply(x, 2, slam_ess), 10))
    err <- abs(vc[[nm]][lt] - s$truth[[nm]][lt])
    # the truth lies within the posterior's spread (the posterior sd includes the
    # sampling error of n = 600 records), plus the Monte Carlo error
    expect_true(all(err < 3.5 * psd + 4 * mcse), info = paste(nm, paste(round(err / psd, 2), collapse = " ")))
  }
  # the variances are not trivially wide: the intervals are informative
  expect_true(all(diag(vc$cage) < 0.6) && all(diag(vc$animal) > 0.1))
  # components sum to the phenotypic covariance, and the data's covariance is near it
  P <- Reduce(`+`, lapply(vc, unclass))
  expect_equal(unname(diag(P)), unname(apply(s$d[tr], 2, var)), tolerance = 0.25)
  # heritabilities per term and trait, with intervals
  h <- h2(fit)
  expect_identical(nrow(h), 8L)
  expect_true(all(h$lower <= h$estimate & h$estimate <= h$upper))
  expect_equal(h$estimate[h$term == "animal"],
               unname(diag(vc$animal) / diag(P)), tolerance = 0.05)
  # genetic values per term, every level (sires too) predicted
  re <- ranef(fit)
  expect_identical(dim(re$animal), c(660L, 4L))
  expect_identical(dim(re$cage), c(40L, 4L))
  expect_true(all(is.finite(re$animal)) && all(is.finite(re$cage)))
  sires <- paste0("s", 1:60)
  expect_true(all(abs(re$animal[sires, ]) > 0))
  # the sires' predicted values follow their families' means
  fam <- sub("^o", "", s$d$animal)
  fam_mean <- tapply(s$d$y1, rep(sires, each = 10), mean)[sires]
  expect_gt(cor(re$animal[sires, "y1"], fam_mean), 0.5)
  # cage values track the cage means of the residual-free data
  cage_mean <- tapply(s$d$y3, s$d$cage, mean)
  expect_gt(cor(re$cage[, "y3"], cage_mean[rownames(re$cage)]), 0.7)
  expect_output(print(summary(fit)), "Term: cage")
  f <- tempfile(fileext = ".pdf")
  grDevices::pdf(f)
  expect_invisible(plot(fit, term = "cage"))
  grDevices::dev.off()
  unlink(f)
})

test_that("the same model with the terms in another order gives the same draws", {
  s <- sim_two_term(seed = 2, n_sires = 20, n_off = 5, n_cage = 10)
  run <- function(f) {
    set.seed(8)
    SLAMglmm(f, data = s$d, relmat = list(animal = s$A), n_factors = 1, nitt = 200, burnin = 50,
             thin = 2, prior = list(h2 = list(divisions = 6)), verbose = FALSE, threads = 1)
  }
  a <- run(cbind(y1, y2) ~ 1 + (1 | animal) + (1 | cage))
  b <- run(cbind(y1, y2) ~ 1 + (1 | cage) + (1 | animal))
  expect_identical(b$terms, c("cage", "animal"))
  expect_equal(b$draws$h2[, c("animal", "cage"), ], a$draws$h2)
  expect_equal(b$draws$h2F[, c("animal", "cage"), , drop = FALSE], a$draws$h2F)
  expect_equal(b$U_mean[c("animal", "cage")], a$U_mean)
  expect_equal(VarCorr(b)[c("animal", "cage", "Residual")], VarCorr(a)[c("animal", "cage", "Residual")],
               ignore_attr = TRUE)
})

test_that("p = 1, n_factors = 0, two crossed iid terms: variance components match lme4 REML", {
  set.seed(11)
  na <- 150
  nb <- 100
  n <- 1500
  d <- data.frame(a = factor(sample(rep(seq_len(na), length.out = n))),
                  b = factor(sample(rep(seq_len(nb), length.out = n))))
  d$y <- 5 + rnorm(na)[d$a] + sqrt(0.5) * rnorm(nb)[d$b] + rnorm(n)
  ref <- lme4::lmer(y ~ 1 + (1 | a) + (1 | b), data = d, REML = TRUE)
  vref <- as.data.frame(lme4::VarCorr(ref))
  vref <- stats::setNames(vref$vcov, vref$grp)
  set.seed(2)
  elapsed <- system.time(
    fit <- SLAMglmm(y ~ 1 + (1 | a) + (1 | b), data = d, n_factors = 0, nitt = 4000,
                    burnin = 1000, thin = 1, prior = list(h2 = list(divisions = 50)),
                    verbose = FALSE)
  )[["elapsed"]]
  expect_lt(elapsed, 20)
  expect_identical(fit$n_factors, 0L)
  expect_identical(fit$mcmc$grid$route, "metropolis")          # G = 1275
  vc <- sapply(VarCorr(fit), function(S) S[1, 1])
  expect_named(vc, c("a", "b", "Residual"))
  rel <- unname(vc / vref[c("a", "b", "Residual")] - 1)
  expect_true(all(abs(rel) < 0.10), info = paste(round(rel, 3), collapse = " "))
  expect_equal(mean(fit$draws$B), unname(lme4::fixef(ref)), tolerance = 0.02)
})

test_that("full-grid and Metropolis routes give the same posterior means", {
  set.seed(5)
  n <- 240
  d <- data.frame(a = factor(rep(1:30, length.out = n)), b = factor(sample(rep(1:12, length.out = n))))
  f <- rnorm(30)[d$a] * 0.8 + rnorm(12)[d$b] * 0.5 + rnorm(n)
  d$y1 <- f + 0.7 * rnorm(30)[d$a] + rnorm(n)
  d$y2 <- -f + 0.5 * rnorm(12)[d$b] + rnorm(n)
  run <- function(route) {
    set.seed(9)
    fit <- SLAMglmm(cbind(y1, y2) ~ 1 + (1 | a) + (1 | b), data = d, n_factors = 1, adapt = FALSE,
                    nitt = 9000, burnin = 1000, thin = 1, grid_route = route,
                    prior = list(h2 = list(divisions = 8)), verbose = FALSE)
    expect_identical(fit$mcmc$grid$route, route)
    x <- slam_draws(fit, c("h2", "h2_total", "G", "R"))
    list(m = colMeans(x), se = apply(x, 2, sd) / sqrt(apply(x, 2, slam_ess)))
  }
  full <- run("full")
  metro <- run("metropolis")
  z <- (full$m - metro$m) / sqrt(full$se^2 + metro$se^2)
  expect_true(all(abs(z) < 4.5), info = paste(names(z), round(z, 2), collapse = "; "))
  # and the posterior is not trivial: the shares differ between the terms
  expect_gt(full$m[["h2[a,y1]"]], full$m[["h2[b,y1]"]] + 0.1)
})

test_that("adapt = FALSE keeps k; adapt = TRUE reports the factor count over burn-in", {
  s <- sim_two_term(seed = 4, n_sires = 20, n_off = 5, n_cage = 10)
  set.seed(1)
  fixed <- SLAMglmm(cbind(y1, y2, y3, y4) ~ 1 + (1 | animal), data = s$d,
                    relmat = list(animal = s$A), n_factors = 3, adapt = FALSE,
                    nitt = 300, burnin = 200, thin = 2, verbose = FALSE)
  expect_identical(fixed$n_factors, 3L)
  expect_identical(dim(fixed$draws$Lambda)[2], 3L)
  expect_false(fixed$mcmc$adapt)
  expect_true(length(fixed$mcmc$k_trace) == 0L || all(fixed$mcmc$k_trace == 3L))
  expect_output(print(fixed), "factors: 3 \\(fixed\\)")
  set.seed(1)
  utils::capture.output(expect_message(
    ad <- SLAMglmm(cbind(y1, y2, y3, y4) ~ 1 + (1 | animal), data = s$d,
                   relmat = list(animal = s$A), n_factors = 3, max_factors = 4,
                   nitt = 700, burnin = 600, thin = 2, verbose = TRUE),
    "factors: started 3, ended"))
  expect_true(ad$mcmc$adapt)
  expect_identical(ad$mcmc$k_start, 3L)
  expect_identical(ad$mcmc$k_max, 4L)
  tr <- ad$mcmc$k_trace
  expect_type(tr, "integer")
  expect_length(tr, 600L)
  expect_true(all(tr >= 1L & tr <= 4L))
  expect_identical(tr[length(tr)], ad$n_factors)
  expect_identical(dim(ad$draws$Lambda)[2], ad$n_factors)
  expect_output(print(summary(ad)), "Factors: started 3, ended")
})

test_that("a pedigree data frame in relmat: A is built, ancestors get genetic values", {
  ped <- utils::read.csv(test_path("fixtures", "pedigree_small.csv"), colClasses = "character")
  A <- pedigree_A(ped)
  set.seed(5)
  recorded <- c("3", "4", "5", "6", "7", "10", "11", "8")
  d <- data.frame(animal = rep(recorded, each = 6), nest = rep(c("n1", "n2", "n3"), 16),
                  sex = rep(c("f", "m"), length.out = 48))
  d$tarsus <- stats::rnorm(48) + (d$sex == "m")
  d$back <- stats::rnorm(48)
  set.seed(6)
  fit <- SLAMglmm(cbind(tarsus, back) ~ sex + (1 | animal) + (1 | nest), data = d,
                  relmat = list(animal = ped), factor_formula = ~ sex + (1 | animal),
                  n_factors = 1, nitt = 300, burnin = 100, thin = 2, threads = 1, verbose = FALSE)
  expect_identical(fit$levels$animal, rownames(A))
  expect_true(fit$relmat_given[["animal"]])
  expect_identical(fit$factor_terms, "animal")
  re <- ranef(fit)
  expect_identical(rownames(re$animal), rownames(A))
  expect_true(all(is.finite(re$animal)))
  # founders 1, 2 and the added parent 9 have no records but are predicted
  expect_true(all(abs(re$animal[c("1", "2", "9"), ]) > 0))
  # the nest term is not on the factors: every factor share of nest is 0
  expect_true(all(fit$draws$h2F[, "nest", ] == 0))
  expect_output(print(fit), "nest \\(3 levels, iid, traits only\\)")
  # the same fit with A given as a matrix is the same model
  set.seed(6)
  fitA <- SLAMglmm(cbind(tarsus, back) ~ sex + (1 | animal) + (1 | nest), data = d,
                   relmat = list(animal = A), factor_formula = ~ sex + (1 | animal),
                   n_factors = 1, nitt = 300, burnin = 100, thin = 2, threads = 1, verbose = FALSE)
  expect_equal(fitA$draws, fit$draws)
  # a pedigree without some recorded individual is an error naming the term
  expect_error(SLAMglmm(cbind(tarsus, back) ~ (1 | animal), data = d,
                        relmat = list(animal = ped[ped[[1]] != "11", ]), n_factors = 1,
                        nitt = 20, burnin = 10, verbose = FALSE),
               "relmat\\$animal.*'11'")
})

test_that("singular relationship matrices (rotated and further term) are accepted", {
  set.seed(1)
  n <- 150
  ids <- sprintf("i%03d", seq_len(n))
  W <- matrix(rnorm(n * 20), n, 20)
  K <- tcrossprod(W) / 20                       # a genomic matrix of rank 20
  dimnames(K) <- list(ids, ids)
  dams <- sprintf("d%02d", 1:30)
  Kd <- diag(30)
  Kd[1, 2] <- Kd[2, 1] <- 1                     # dams 1 and 2 are the same individual
  dimnames(Kd) <- list(dams, dams)
  d <- data.frame(id = ids, dam = rep(dams, 5))
  d$y1 <- rnorm(n) + rep(c(1, 1, rep(0, 28)), 5)
  d$y2 <- rnorm(n)
  set.seed(2)
  fit <- SLAMglmm(cbind(y1, y2) ~ 1 + (1 | id) + (1 | dam), data = d,
                  relmat = list(id = K, dam = Kd), n_factors = 1, nitt = 300, burnin = 100,
                  verbose = FALSE)
  re <- ranef(fit)
  expect_true(all(is.finite(re$id)) && all(is.finite(re$dam)))
  # perfectly correlated levels have the same genetic values
  expect_equal(re$dam["d01", ], re$dam["d02", ], tolerance = 1e-4)
  expect_gt(abs(re$dam["d01", "y1"] - re$dam["d03", "y1"]), 1e-3)
  expect_true(all(vapply(VarCorr(fit), function(S) all(is.finite(S)), TRUE)))
})
