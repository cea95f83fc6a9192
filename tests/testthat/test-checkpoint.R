# Long runs: extending a fit, checkpoints, resuming a killed run, refusing
# another model's checkpoint.

ck_fit <- function(nitt, seed = 1, chains = 2, formula = cbind(y1, y2, y3) ~ sex + (1 | animal), ...) {
  data(slam_pheno, slam_kinship, package = "SLAMglmm", envir = environment())
  set.seed(seed)
  SLAMglmm(formula, data = slam_pheno, relmat = list(animal = slam_kinship), n_factors = 2,
           chains = chains, nitt = nitt, burnin = 200, thin = 2, verbose = FALSE, ...)
}

test_that("update(nitt =) gives the draws and means of one longer run", {
  data(slam_pheno, slam_kinship, package = "SLAMglmm", envir = environment())
  # update() evaluates the call where it is called, as for any model: fit here, not in a helper
  fit_to <- function(nitt) {
    set.seed(1)
    SLAMglmm(cbind(y1, y2, y3) ~ sex + (1 | animal), data = slam_pheno,
             relmat = list(animal = slam_kinship), n_factors = 2, chains = 2,
             nitt = nitt, burnin = 200, thin = 2, verbose = FALSE)
  }
  long <- fit_to(800)
  set.seed(1)
  short <- SLAMglmm(cbind(y1, y2, y3) ~ sex + (1 | animal), data = slam_pheno,
                    relmat = list(animal = slam_kinship), n_factors = 2, chains = 2,
                    nitt = 500, burnin = 200, thin = 2, verbose = FALSE)
  ext <- update(short, nitt = 800, verbose = FALSE)
  expect_identical(ext$draws, long$draws)
  expect_identical(ext$U_mean, long$U_mean)
  expect_identical(ext$H_mean, long$H_mean)
  expect_identical(ext$mcmc$chain, long$mcmc$chain)
  expect_equal(ext$mcmc$nitt, 800)
  expect_equal(vapply(ext$mcmc$per_chain, `[[`, 1L, "started_at"), c(500L, 500L))
  # twice in a row, and with another number of threads
  ext2 <- update(update(short, nitt = 650, verbose = FALSE), nitt = 800, threads = 1, verbose = FALSE)
  expect_identical(ext2$draws, long$draws)
  expect_error(update(ext, nitt = 700), class = "slamglmm_input_error")
})

test_that("update() refuses a fit whose data changed, and re-fits for other arguments", {
  data(slam_pheno, slam_kinship, package = "SLAMglmm", envir = environment())
  set.seed(2)
  d <- slam_pheno
  fit <- SLAMglmm(cbind(y1, y2) ~ sex + (1 | animal), data = d, relmat = list(animal = slam_kinship),
                  n_factors = 1, nitt = 400, burnin = 100, thin = 2, verbose = FALSE)
  d$y1[3] <- d$y1[3] + 1
  err <- expect_error(update(fit, nitt = 600), class = "slamglmm_input_error")
  expect_match(conditionMessage(err), "changed since it was fitted")
  cl <- update(fit, n_factors = 2, evaluate = FALSE)
  expect_equal(cl$n_factors, 2)
})

test_that("a checkpoint directory resumes, and another model's is refused", {
  dir <- tempfile("slam-ck")
  on.exit(unlink(dir, recursive = TRUE), add = TRUE)
  plain <- ck_fit(600)
  ck <- ck_fit(600, checkpoint = dir, checkpoint_every = c(iterations = 100))
  expect_identical(ck$draws, plain$draws)
  expect_setequal(list.files(dir), c("model.rds", "chain-1.state", "chain-2.state"))
  expect_silent(resumed <- SLAMglmm_resume(dir, threads = 1, verbose = FALSE))
  expect_identical(resumed$draws, plain$draws)
  expect_equal(resumed$mcmc$threads, 1L)
  # a fit without its chains' states is continued from its checkpoint
  data(slam_pheno, slam_kinship, package = "SLAMglmm", envir = environment())
  set.seed(1)
  ck_short <- SLAMglmm(cbind(y1, y2, y3) ~ sex + (1 | animal), data = slam_pheno,
                       relmat = list(animal = slam_kinship), n_factors = 2, chains = 2,
                       nitt = 400, burnin = 200, thin = 2, verbose = FALSE,
                       checkpoint = tempfile("slam-ck-short"))
  for (c in 1:2) ck_short$mcmc$per_chain[[c]]$state <- NULL
  expect_identical(update(ck_short, nitt = 600, verbose = FALSE)$draws, plain$draws)
  # the same call again continues the saved (finished) chains, whatever the seed now
  expect_identical(ck_fit(600, seed = 99, checkpoint = dir)$draws, plain$draws)
  err <- expect_error(ck_fit(600, formula = cbind(y1, y2) ~ sex + (1 | animal), checkpoint = dir),
                      class = "slamglmm_input_error")
  expect_match(conditionMessage(err), "another model")
  expect_equal(err$arg, "checkpoint")
  expect_error(ck_fit(600, chains = 3, checkpoint = dir), class = "slamglmm_input_error")
  # a damaged chain file is an error of the sampler, not a crash
  writeBin(as.raw(1:20), file.path(dir, "chain-2.state"))
  expect_error(SLAMglmm_resume(dir, verbose = FALSE), "not a SLAMglmm chain state",
               class = "slamglmm_sampler_error")
})

test_that("bad checkpoint arguments are classed errors naming the argument", {
  other <- tempfile("slam-other")
  dir.create(other)
  writeLines("x", file.path(other, "notes.txt"))
  on.exit(unlink(other, recursive = TRUE), add = TRUE)
  for (bad in list(c("a", "b"), 3, NA_character_, "")) {
    err <- expect_error(ck_fit(300, chains = 1, checkpoint = bad), class = "slamglmm_input_error")
    expect_equal(err$arg, "checkpoint")
  }
  expect_error(ck_fit(300, chains = 1, checkpoint = other), "other files", class = "slamglmm_input_error")
  expect_error(SLAMglmm_resume(other), "not a SLAMglmm checkpoint", class = "slamglmm_input_error")
  for (bad in list(-1, 0, c(1, 2), c(minutes = 3), c(iterations = 2.5), "10")) {
    err <- expect_error(ck_fit(300, chains = 1, checkpoint = tempfile(), checkpoint_every = bad),
                        class = "slamglmm_input_error")
    expect_equal(err$arg, "checkpoint_every")
  }
})

test_that("a run killed mid-way (SIGKILL) resumes to the uninterrupted draws", {
  skip_on_cran()
  skip_on_os("windows")
  dir <- tempfile("slam-kill")
  on.exit(unlink(dir, recursive = TRUE), add = TRUE)
  nitt <- 6000
  job <- parallel::mcparallel({
    ck_fit(nitt, seed = 5, chains = 1, checkpoint = dir, checkpoint_every = c(iterations = 100))
    NULL
  })
  state <- file.path(dir, "chain-1.state")
  t0 <- Sys.time()
  while (!file.exists(state) && difftime(Sys.time(), t0, units = "secs") < 60) Sys.sleep(0.05)
  Sys.sleep(0.3)
  tools::pskill(job$pid, tools::SIGKILL)
  suppressWarnings(parallel::mccollect(job, wait = TRUE))   # "did not deliver a result": it was killed
  expect_true(file.exists(state))
  resumed <- SLAMglmm_resume(dir, verbose = FALSE)
  at <- resumed$mcmc$per_chain[[1]]$started_at
  expect_gt(at, 0)
  expect_lt(at, nitt)          # it was killed before the end
  whole <- ck_fit(nitt, seed = 5, chains = 1)
  expect_identical(resumed$draws, whole$draws)
  expect_identical(resumed$U_mean, whole$U_mean)
})

test_that("the model fingerprint changes with any value, name or shape, and not with run options", {
  fp <- SLAMglmm:::slam_fingerprint_rust
  x <- list(Y = matrix(c(1.5, 2, NA, 4), 2), terms = list(list(Z = diag(2), K = NULL)),
            family = c("gaussian", "probit"), adapt = TRUE)
  expect_identical(fp(x), fp(x))
  expect_match(fp(x), "^[0-9a-f]{32}$")
  y <- x; y$Y[1, 1] <- 1.5 + 1e-12
  expect_false(fp(y) == fp(x))
  y <- x; dim(y$Y) <- c(4L, 1L)
  expect_false(fp(y) == fp(x))
  y <- x; names(y)[4] <- "adapt2"
  expect_false(fp(y) == fp(x))
  y <- x; y$family[2] <- "ordinal"
  expect_false(fp(y) == fp(x))
  y <- x; y$adapt <- NA
  expect_false(fp(y) == fp(x))
  input <- c(x, list(nitt = 100L, seed = c(1, 2), threads = 2L, verbose = TRUE))
  expect_identical(SLAMglmm:::slam_fingerprint(input),
                   SLAMglmm:::slam_fingerprint(modifyList(input, list(nitt = 900L, threads = 1L, seed = c(3, 4)))))
})
