# SLAMglmm demo: a multi-trait animal model on the simulated example data.
#
# Usage, from a checkout with the package installed:  Rscript inst/demo/demo.R [output.png]
# (tools/demo.sh installs the package and runs this; the script is not part of the release tarball)
#
# Fits eight traits of 300 half-sib animals with a genomic kinship matrix,
# prints the summary, writes a plot, and compares the estimates with the values
# used to simulate the data.

suppressPackageStartupMessages(library(SLAMglmm))

args <- commandArgs(trailingOnly = TRUE)
png_file <- if (length(args) >= 1L && nzchar(args[1L])) args[1L] else "slamglmm-demo.png"

data("slam_pheno", "slam_kinship", "slam_truth", package = "SLAMglmm")

set.seed(2026)
t0 <- proc.time()[["elapsed"]]
fit <- SLAMglmm(cbind(y1, y2, y3, y4, y5, y6, y7, y8) ~ sex + (1 | animal),
                data = slam_pheno, relmat = list(animal = slam_kinship),
                n_factors = 5, nitt = 3000, burnin = 1000, thin = 2)
elapsed <- proc.time()[["elapsed"]] - t0
cat(sprintf("\nFitted in %.1f s (%.2f ms per iteration)\n\n", elapsed, 1000 * elapsed / 3000))

print(summary(fit))

cat("\n---- Genetic and residual covariance matrices (posterior means) ----\n")
print(VarCorr(fit))

cat("\n---- Heritabilities (posterior mean, 95% equal-tailed interval) ----\n")
h <- h2(fit)
print(h, digits = 3, row.names = FALSE)

## ---- comparison with the values used to simulate the data ------------------
cat("\n---- Comparison with the truth used to simulate slam_pheno ----\n")
# single-trait REML heritabilities with the same kinship (eigendecomposition of K),
# to show how far from the simulation values estimates from 300 animals can be
reml_h2 <- function(y, X, K) {
  ok <- !is.na(y)
  e <- eigen(K[ok, ok], symmetric = TRUE)
  yt <- crossprod(e$vectors, y[ok]); Xt <- crossprod(e$vectors, X[ok, , drop = FALSE])
  nr <- length(yt) - ncol(X)
  loglik <- function(h) {
    d <- h * e$values + 1 - h
    A <- crossprod(Xt, Xt / d)
    r <- yt - Xt %*% solve(A, crossprod(Xt, yt / d))
    -0.5 * (sum(log(d)) + nr * log(sum(r^2 / d)) + determinant(A)$modulus)
  }
  stats::optimize(loglik, c(0, 0.999), maximum = TRUE)$maximum
}
X <- stats::model.matrix(~ sex, slam_pheno)
cmp <- data.frame(
  trait = h$trait,
  h2_true = round(unname(slam_truth$h2_total[h$trait]), 3),
  h2_reml_1trait = round(vapply(h$trait, function(tr) reml_h2(slam_pheno[[tr]], X, slam_kinship),
                                numeric(1)), 3),
  h2_est = round(h$estimate, 3),
  lower = round(h$lower, 3), upper = round(h$upper, 3),
  covered = slam_truth$h2_total[h$trait] >= h$lower & slam_truth$h2_total[h$trait] <= h$upper
)
print(cmp, row.names = FALSE)
cat(sprintf("  h2 intervals covering the true value: %d of %d\n", sum(cmp$covered), nrow(cmp)))

vc <- VarCorr(fit)
off <- lower.tri(slam_truth$G)
gc_est <- cov2cor(vc$animal)
gc_true <- cov2cor(slam_truth$G)
rc_est <- cov2cor(vc$Residual)
rc_true <- cov2cor(slam_truth$R)
cat(sprintf("  genetic correlations:  cor(true, estimated) = %.3f, mean |error| = %.3f\n",
            cor(gc_true[off], gc_est[off]), mean(abs(gc_true[off] - gc_est[off]))))
cat(sprintf("  residual correlations: cor(true, estimated) = %.3f, mean |error| = %.3f\n",
            cor(rc_true[off], rc_est[off]), mean(abs(rc_true[off] - rc_est[off]))))
rel <- function(est, true) sqrt(sum((est - true)^2) / sum(true^2))
cat(sprintf("  relative Frobenius error: G %.3f, R %.3f\n",
            rel(vc$animal, slam_truth$G), rel(vc$Residual, slam_truth$R)))

fe <- fixef(fit)
cat("\n  sex effect (sexM), true vs estimated:\n")
print(round(rbind(true = slam_truth$B["sexM", ], estimated = fe["sexM", ]), 3))

u <- ranef(fit)$animal
ids <- rownames(slam_truth$U)
acc <- vapply(colnames(slam_truth$U), function(tr) cor(u[ids, tr], slam_truth$U[, tr]), numeric(1))
cat("\n  accuracy of the genetic values, cor(true U, estimated U) per trait:\n")
print(round(acc, 3))

## ---- plot ----------------------------------------------------------------------
grDevices::png(png_file, width = 1400, height = 1000, res = 110)
plot(fit)
invisible(grDevices::dev.off())
cat("\nWrote", png_file, "\n")
