# save_draws: which quantities each saved draw keeps (issue 9)

fit_small <- function(...) {
  data(slam_pheno, slam_kinship, package = "SLAMglmm", envir = environment())
  set.seed(11)
  SLAMglmm(cbind(y1, y2, y3) ~ sex + (1 | animal), data = slam_pheno,
           relmat = list(animal = slam_kinship), n_factors = 2,
           nitt = 240, burnin = 100, thin = 2, verbose = FALSE, ...)
}

test_that("kept quantities are the draws of the full run; the others are NULL", {
  full <- fit_small()
  part <- fit_small(save_draws = c("B", "h2_total"))
  expect_identical(part$save_draws, c("B", "psi", "h2_total"))
  expect_identical(part$draws$B, full$draws$B)
  expect_identical(part$draws$psi, full$draws$psi)
  expect_identical(part$draws$h2_total, full$draws$h2_total)
  for (nm in c("Lambda", "BF", "h2", "h2F", "sigma2_b", "delta", "family")) expect_null(part$draws[[nm]])
  # running means do not depend on what is saved
  expect_identical(part$H_mean, full$H_mean)
  expect_identical(part$U_mean, full$U_mean)
  expect_identical(slam_n_factors(part), slam_n_factors(full))
  expect_equal(h2(part, type = "total")$estimate, h2(full, type = "total")$estimate)
})

test_that("summaries that need a quantity not saved stop with a classed error; summary() leaves them out", {
  part <- fit_small(save_draws = "h2_total")
  expect_error(VarCorr(part), class = "slamglmm_not_saved")
  expect_error(VarCorr(part), "Lambda")
  expect_error(fixef(part), class = "slamglmm_not_saved")
  expect_error(slam_draws(part, "B"), class = "slamglmm_not_saved")
  expect_error(h2(part, type = "specific"), class = "slamglmm_not_saved")
  d <- slam_diagnostics(part)
  expect_true(all(startsWith(d$variable, "h2_total[")))
  s <- suppressWarnings(summary(part))
  expect_null(s$varcorr)
  expect_null(s$fixed)
  expect_output(print(s), "Variance proportions")
  expect_output(print(part), "Heritability")
})

test_that("save_draws is checked before sampling", {
  expect_error(fit_small(save_draws = c("Lambda", "G")), class = "slamglmm_input_error")
  expect_error(fit_small(save_draws = 1), class = "slamglmm_input_error")
  expect_error(fit_small(save_draws = NA_character_), class = "slamglmm_input_error")
})

test_that("draws on disk write only the kept arrays, and extending keeps the choice", {
  dir <- tempfile("draws")
  on.exit(unlink(dir, recursive = TRUE))
  full <- fit_small()
  disk <- fit_small(save_draws = c("B", "delta"), draws = dir)
  expect_setequal(list.files(file.path(dir, "chain-1")), c("B", "delta", "psi"))
  expect_identical(unname(disk$draws$B), unname(full$draws$B))
  expect_identical(unname(disk$draws$delta), unname(full$draws$delta))
  longer <- update(fit_small(save_draws = "B"), nitt = 340)
  expect_identical(dim(longer$draws$B)[3L], 120L)
  expect_null(longer$draws$Lambda)
})

test_that("diagnostics of chosen traits; summary() diagnoses at most 100 traits", {
  part <- fit_small()
  d2 <- slam_diagnostics(part, traits = "y2")
  expect_true(all(grepl("y2\\]$", d2$variable)))
  expect_gt(nrow(d2), 2L)
  expect_error(slam_diagnostics(part, traits = "nope"), class = "slamglmm_input_error")
  expect_null(slam_summary_traits(part))
  fake <- list(traits = sprintf("t%03d", 1:250))
  sel <- slam_summary_traits(fake)
  expect_length(sel, 100L)
  expect_identical(sel[c(1, 100)], c("t001", "t250"))
  keep <- slam_columns_of_traits(c("h2_total[a,t001]", "fixef[x,t002]", "family[t002:size]", "other"),
                                 fake$traits, "t001")
  expect_identical(keep, c(TRUE, FALSE, FALSE, TRUE))
})
