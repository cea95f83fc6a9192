# Expression data with several probes per gene: family slam_probes().

probe_data <- function(n_lines = 30, per = 4, seed = 1) {
  set.seed(seed)
  n <- n_lines * per
  d <- data.frame(line = factor(rep(seq_len(n_lines), each = per)))
  g <- matrix(rnorm(n_lines * 3), n_lines, 3)[d$line, ] + matrix(rnorm(n * 3), n, 3)
  gene <- c("A", "A", "B", "B", "B", "C")
  sds <- c(0.3, 1, 0.3, 0.3, 2, 0.5)
  P <- 5 + g[, match(gene, c("A", "B", "C"))] + sweep(matrix(rnorm(n * 6), n, 6), 2, sds, "*")
  colnames(P) <- paste0("probe", 1:6)
  P[3, 2] <- NA
  list(d = d, P = P, gene = gene, sds = sds)
}

test_that("genes measured by probes: traits, probe effects and precisions", {
  skip_on_cran()
  pd <- probe_data()
  d <- pd$d
  P <- pd$P
  set.seed(2)
  fit <- SLAMglmm(P ~ 1 + (1 | line), data = d, family = slam_probes(gene = pd$gene),
                  n_factors = 1, nitt = 2000, burnin = 500, thin = 2, verbose = FALSE)
  expect_identical(fit$traits, c("A", "B", "C"))
  expect_identical(unname(fit$family), rep("probes", 3))
  pe <- fit$probe_effects
  expect_identical(pe$probe, colnames(P))
  expect_identical(pe$gene, pd$gene)
  # probe effects sum to zero within a gene; a gene with one probe has effect 0
  expect_equal(as.vector(tapply(pe$effect, pe$gene, sum)), c(0, 0, 0), tolerance = 1e-8)
  expect_equal(pe$effect[pe$probe == "probe6"], 0)
  # the precisions order the probes by their noise (true sds 0.3 / 1 and 0.3, 0.3 / 2)
  expect_gt(pe$precision[1], 3 * pe$precision[2])
  expect_gt(min(pe$precision[3:4]), 10 * pe$precision[5])
  expect_equal(pe$precision[5], 1 / 2^2, tolerance = 0.3)
  # the genes' intercepts are their probes' grand means
  expect_equal(unname(fixef(fit)[1, ]), as.vector(tapply(colMeans(P, na.rm = TRUE), pd$gene, mean)),
               tolerance = 0.05)
  expect_identical(dim(VarCorr(fit)$line), c(3L, 3L))
  expect_identical(h2(fit)$scale, rep("data", 3))
  expect_match(paste(capture.output(print(fit)), collapse = "\n"), "genes measured by probes")
})

test_that("probe layouts are checked before Rust runs, naming the argument", {
  pd <- probe_data(n_lines = 10)
  d <- pd$d
  P <- pd$P
  fit_with <- function(gene, ...) SLAMglmm(P ~ 1 + (1 | line), data = d, family = slam_probes(gene = gene),
                                           nitt = 5, burnin = 1, thin = 1, verbose = FALSE, ...)
  expect_error(fit_with(pd$gene[-1]), "5 elements but the response has 6 columns",
               class = "slamglmm_input_error")
  expect_error(slam_probes(c("A", NA)), "missing or empty gene names", class = "slamglmm_input_error")
  expect_error(slam_probes(), "`gene` of slam_probes\\(\\)", class = "slamglmm_input_error")
  expect_error(fit_with(pd$gene, weights = rep(1, nrow(d))), "weights.*slam_probes",
               class = "slamglmm_input_error")
  P[, 3] <- NA
  P[1, 3] <- 1
  expect_error(fit_with(pd$gene), "probe3.*fewer than 2 observed", class = "slamglmm_input_error")
  e <- tryCatch(fit_with(pd$gene[-1]), slamglmm_input_error = function(e) e)
  expect_identical(e$arg, "family")
  # named genes in any order
  P <- pd$P
  named <- stats::setNames(pd$gene, colnames(P))[6:1]
  b <- slam_build_input(P ~ 1 + (1 | line), data = d, family = slam_probes(gene = named),
                        nitt = 5, burnin = 1, thin = 1, verbose = FALSE)
  expect_identical(b$info$traits, c("A", "B", "C"))
  expect_length(b$input$probes, 3L)
  expect_identical(dim(b$input$probes[[2]]$Y), c(nrow(d), 3L))
  expect_identical(b$input$family, rep("probes", 3))
})
