# Multi-environment genomic prediction on the CIMMYT wheat lines (Crossa et al. 2010, distributed with
# BGLR): 599 lines, grain yield in 4 environments (each environment a trait), 1279 DArT markers, and
# the 10-fold assignment distributed with the data. Not part of CI (a few minutes on 2 cores).
#
#   Rscript validation/genomic-prediction.R [DATADIR] [NITT]
#
# Compared, fold by fold, with the accuracy (correlation of predicted and observed yield in the masked
# lines) of single-trait GBLUP (each environment alone, the same kinship; here SLAMglmm with
# n_factors = 0, which is GBLUP with a Bayesian variance estimate):
#   CV1: new lines (all four environments of the fold's lines masked): predicted from relatives only.
#   CV2: lines observed elsewhere (one environment of the fold's lines masked at a time): the
#        multi-trait model also uses the line's yield in the other environments.
suppressPackageStartupMessages(library(SLAMglmm))
args <- commandArgs(trailingOnly = TRUE)
dir <- if (length(args) >= 1) args[1] else "../shared/data/wheat"
nitt <- if (length(args) >= 2) as.integer(args[2]) else 4000L
burnin <- nitt %/% 4L

Y <- read.csv(file.path(dir, "wheat_Y_yield_4env.csv"), check.names = FALSE)
cv <- read.csv(file.path(dir, "wheat_cv_sets.csv"))
M <- as.matrix(read.csv(gzfile(file.path(dir, "wheat_X_markers.csv.gz")), check.names = FALSE)[, -1])
stopifnot(nrow(M) == nrow(Y), all(cv$line == Y$line))
# VanRaden genomic relationship from 0/1 markers (as allele counts 0/2), blended with 1% identity
p_al <- colMeans(M)
keep <- p_al > 0 & p_al < 1
Z <- sweep(2 * M[, keep], 2, 2 * p_al[keep])
K <- tcrossprod(Z) / (2 * sum(p_al[keep] * (1 - p_al[keep])))
K <- 0.99 * K + diag(0.01, nrow(K))
ids <- as.character(Y$line)
dimnames(K) <- list(ids, ids)
env <- paste0("env", names(Y)[-1])
d <- data.frame(line = ids, setNames(Y[, -1], env), check.names = FALSE)

fit_multi <- function(data) {
  SLAMglmm(cbind(env1, env2, env4, env5) ~ 1 + (1 | line), data = data, relmat = list(line = K),
           n_factors = 4, nitt = nitt, burnin = burnin, thin = 3, verbose = FALSE)
}
fit_single <- function(data, trait) {
  f <- stats::as.formula(paste(trait, "~ 1 + (1 | line)"))
  SLAMglmm(f, data = data, relmat = list(line = K), n_factors = 0,
           nitt = nitt, burnin = burnin, thin = 3, verbose = FALSE)
}

set.seed(2026)
rows <- list()
t0 <- proc.time()[["elapsed"]]
for (f in sort(unique(cv$fold))) {
  test <- which(cv$fold == f)
  # CV1: new lines
  d1 <- d
  d1[test, env] <- NA
  m <- fit_multi(d1)
  for (tr in env) {
    s <- fit_single(d1, tr)
    rows[[length(rows) + 1L]] <- data.frame(
      scenario = "CV1 new lines", fold = f, env = tr,
      multi = cor(m$mu_mean[test, tr], d[test, tr]),
      single = cor(s$mu_mean[test, tr], d[test, tr]))
  }
  # CV2: one environment masked at a time
  for (tr in env) {
    d2 <- d
    d2[test, tr] <- NA
    m <- fit_multi(d2)
    s <- fit_single(d2, tr)
    rows[[length(rows) + 1L]] <- data.frame(
      scenario = "CV2 observed elsewhere", fold = f, env = tr,
      multi = cor(m$mu_mean[test, tr], d[test, tr]),
      single = cor(s$mu_mean[test, tr], d[test, tr]))
  }
  cat(sprintf("fold %d done (%.0f s)\n", f, proc.time()[["elapsed"]] - t0))
}
res <- do.call(rbind, rows)
summ <- aggregate(cbind(multi, single) ~ scenario + env, data = res, FUN = mean)
summ$se_diff <- aggregate(I(multi - single) ~ scenario + env, data = res,
                          FUN = function(x) sd(x) / sqrt(length(x)))[, 3]
print(res, digits = 3)
cat("\nMean accuracy over the 10 folds (se of the multi - single difference over folds):\n")
print(summ, digits = 3)
cat(sprintf("\nnitt = %d, burn-in %d, thin 3; %.0f s in all\n", nitt, burnin, proc.time()[["elapsed"]] - t0))
