# Saved draws on disk (Zarr): the same draws and summaries as in memory, read
# by chunks, continued by update() and by resuming a checkpoint.

disk_fit <- function(nitt = 600, chains = 2, ...) {
  data(slam_pheno, slam_kinship, package = "SLAMglmm", envir = environment())
  set.seed(11)
  SLAMglmm(cbind(y1, y2, y3, y4) ~ sex + (1 | animal), data = slam_pheno,
           relmat = list(animal = slam_kinship), n_factors = 2, chains = chains,
           nitt = nitt, burnin = 200, thin = 2, verbose = FALSE, ...)
}

test_that("draws on disk are the draws in memory, and summaries agree", {
  dir <- tempfile("slam-draws")
  on.exit(unlink(dir, recursive = TRUE), add = TRUE)
  mem <- disk_fit()
  disk <- disk_fit(draws = dir, draws_chunk = 7)
  expect_s3_class(disk$draws$Lambda, "slam_disk_array")
  expect_equal(dim(disk$draws$Lambda), dim(mem$draws$Lambda))
  expect_equal(as.array(disk$draws$Lambda), mem$draws$Lambda)
  expect_equal(disk$draws$Lambda[, 2, 150:160], mem$draws$Lambda[, 2, 150:160])
  for (nm in setdiff(names(mem$draws), "Lambda")) expect_equal(disk$draws[[nm]], mem$draws[[nm]], info = nm)
  expect_equal(disk$U_mean, mem$U_mean)
  expect_equal(VarCorr(disk), VarCorr(mem))
  expect_equal(slam_diagnostics(disk), slam_diagnostics(mem))
  expect_equal(fixef(disk, part = "factor"), fixef(mem, part = "factor"))
  expect_equal(slam_draws(disk, c("G", "R", "Lambda", "variances")),
               slam_draws(mem, c("G", "R", "Lambda", "variances")))
  expect_equal(suppressWarnings(summary(disk))$factors, suppressWarnings(summary(mem))$factors)
  expect_error(disk$draws$Lambda^2, "read by chunks")
})

test_that("the draws directory is a Zarr group readable without SLAMglmm", {
  dir <- tempfile("slam-draws")
  on.exit(unlink(dir, recursive = TRUE), add = TRUE)
  fit <- disk_fit(chains = 1, draws = dir, draws_chunk = 16)
  expect_true(file.exists(file.path(dir, ".zgroup")))
  attrs <- paste(readLines(file.path(dir, ".zattrs")), collapse = "")
  expect_match(attrs, "\"traits\": \\[\"y1\", \"y2\", \"y3\", \"y4\"\\]")
  meta <- paste(readLines(file.path(dir, "chain-1", "psi", ".zarray")), collapse = "")
  expect_match(meta, "\"shape\": \\[200, 4\\]")
  expect_match(meta, "\"chunks\": \\[16, 4\\]")
  expect_match(meta, "\"dtype\": \"<f8\"")
  # chunk 3 (draws 49-64), read by hand: raw little-endian doubles, one draw (4 traits) per row
  v <- readBin(file.path(dir, "chain-1", "psi", "3.0"), "double", n = 16 * 4, size = 8, endian = "little")
  psi_std <- fit$draws$psi / fit$data_scale$scale^2
  expect_equal(matrix(v, 4), unname(psi_std[, 49:64]))
  # the last chunk is whole, padded with NaN past the last draw
  last <- readBin(file.path(dir, "chain-1", "psi", "12.0"), "double", n = 100, size = 8, endian = "little")
  expect_length(last, 64)
  expect_true(all(is.nan(last[(8 * 4 + 1):64])))
})

test_that("update() and checkpoints continue the draws on disk", {
  data(slam_pheno, slam_kinship, package = "SLAMglmm", envir = environment())
  dir <- tempfile("slam-draws")
  ck <- tempfile("slam-ck")
  on.exit(unlink(c(dir, ck), recursive = TRUE), add = TRUE)
  mem <- disk_fit(800)
  set.seed(11)
  short <- SLAMglmm(cbind(y1, y2, y3, y4) ~ sex + (1 | animal), data = slam_pheno,
                    relmat = list(animal = slam_kinship), n_factors = 2, chains = 2,
                    nitt = 500, burnin = 200, thin = 2, verbose = FALSE, draws = dir, draws_chunk = 9)
  ext <- update(short, nitt = 800, verbose = FALSE)
  expect_equal(as.array(ext$draws$Lambda), mem$draws$Lambda)
  expect_equal(ext$draws$psi, mem$draws$psi)
  expect_identical(ext$H_mean, mem$H_mean)
  dir2 <- tempfile("slam-draws")
  on.exit(unlink(dir2, recursive = TRUE), add = TRUE)
  with_ck <- disk_fit(800, draws = dir2, draws_chunk = 9, checkpoint = ck,
                      checkpoint_every = c(iterations = 50))
  again <- SLAMglmm_resume(ck, verbose = FALSE)
  expect_equal(as.array(again$draws$Lambda), mem$draws$Lambda)
  expect_equal(again$draws$B, mem$draws$B)
})

test_that("bad draws arguments are classed errors naming the argument", {
  busy <- tempfile("slam-busy")
  dir.create(busy)
  writeLines("x", file.path(busy, "x.txt"))
  on.exit(unlink(busy, recursive = TRUE), add = TRUE)
  for (bad in list(1, c("a", "b"), NA_character_, "")) {
    err <- expect_error(disk_fit(chains = 1, draws = bad), class = "slamglmm_input_error")
    expect_equal(err$arg, "draws")
  }
  err <- expect_error(disk_fit(chains = 1, draws = busy), "files in it", class = "slamglmm_input_error")
  for (bad in list(0, 2.5, "a")) {
    err <- expect_error(disk_fit(chains = 1, draws = tempfile(), draws_chunk = bad),
                        class = "slamglmm_input_error")
    expect_equal(err$arg, "draws_chunk")
  }
})
