# Benchmark one configuration of SLAMglmm in this R process (bench/run.sh starts a fresh
# process per configuration, so the peak memory below is per configuration).
#
#   Rscript bench/bench.R simulate SIZE DATADIR            # write DATADIR/SIZE.rds
#   Rscript bench/bench.R run SIZE THREADS DATADIR OUTCSV [NITT]
#
# Sizes (n, p, k): small (500, 200, 15), medium (1000, 1000, 20), large (2000, 5000, 50);
# two_terms / two_terms_full: medium plus a second, iid random effect (block, 50 levels), on the
# automatic route (Metropolis moves, since the 2-term grid has 210 points) and on the full-grid route.
# probit / negbin: medium with every trait observed through the link layer: 1(Y > 0), and negative
# binomial counts with mean exp(2 + 0.7 Y) and size 5 (library-size offsets vary 3-fold).
# probes / probes_gauss: expression arrays, 12000 probes measuring 4000 genes (3 probes per gene, probe
# means and precisions vary), n = 500, k = 25 (family slam_probes), beside the Gaussian model of the
# same latent size (the 4000 genes observed directly).
# curves / curves_gauss: growth curves, n = 1000 individuals each measured at 10 irregular times, a
# 6-function B-spline basis (family slam_curve: 6 coefficient traits), k = 3, beside the Gaussian model
# of the same latent size (the 6 coefficients observed directly).
# draws_memory / draws_disk: (1000, 5000, 30) with 2000 saved draws (burn-in 50, thin 1), the draws held
# in memory or streamed to disk (SLAMglmm(draws = )): the peak memory is the point of these two.
# p1000 / p5000 / p20000: the p sweep of issue 10 at n = 1000, k = 100 (k = 100 factors for every p, so
# that the cost per trait is comparable), draws on disk for p20000.
# The number of factors is fixed (adapt = FALSE) so that every run times the same model.
# Data: one random effect (id) with a genomic (VanRaden) kinship from 2n simulated markers,
# complete data, k true factors with sparse loadings. Model: Y ~ 1 + (1 | id), 20-point h2 grid.
# Timing: setup = elapsed time of a nitt = 1 run; ms_per_iter = (elapsed(nitt = N) - setup) / (N - 1).
# Peak memory: VmHWM of this process at the end (includes R and the loaded data).

sizes <- list(small  = c(n = 500,  p = 200,  k = 15),
              medium = c(n = 1000, p = 1000, k = 20),
              large  = c(n = 2000, p = 5000, k = 50),
              two_terms = c(n = 1000, p = 1000, k = 20),
              two_terms_full = c(n = 1000, p = 1000, k = 20),
              probit = c(n = 1000, p = 1000, k = 20),
              negbin = c(n = 1000, p = 1000, k = 20),
              probes = c(n = 500, p = 4000, k = 25),
              probes_gauss = c(n = 500, p = 4000, k = 25),
              curves = c(n = 1000, p = 6, k = 3),
              curves_gauss = c(n = 1000, p = 6, k = 3),
              draws_memory = c(n = 1000, p = 5000, k = 30),
              draws_disk = c(n = 1000, p = 5000, k = 30),
              p1000 = c(n = 1000, p = 1000, k = 100),
              p5000 = c(n = 1000, p = 5000, k = 100),
              p20000 = c(n = 1000, p = 20000, k = 100))
default_nitt <- c(small = 2000, medium = 500, large = 100, two_terms = 300, two_terms_full = 20,
                  probit = 100, negbin = 50, probes = 20, probes_gauss = 100, curves = 500,
                  curves_gauss = 2000, draws_memory = 2050, draws_disk = 2050,
                  p1000 = 100, p5000 = 30, p20000 = 12)

args <- commandArgs(trailingOnly = TRUE)
mode <- args[1]
size <- args[2]
two_terms <- grepl("^two_terms", size)
if (!size %in% names(sizes)) stop("unknown size '", size, "'")
n <- sizes[[size]][["n"]]; p <- sizes[[size]][["p"]]; k <- sizes[[size]][["k"]]

simulate <- function(n, p, k, seed = 20260101) {
  set.seed(seed)
  m <- 2 * n
  freq <- stats::runif(m, 0.05, 0.5)
  M <- matrix(stats::rbinom(n * m, 2, rep(freq, each = n)), n, m)
  pobs <- colMeans(M) / 2
  keep <- pobs > 0 & pobs < 1
  M <- sweep(M[, keep, drop = FALSE], 2, 2 * pobs[keep])
  K <- tcrossprod(M) / (2 * sum(pobs[keep] * (1 - pobs[keep])))
  rm(M)
  K <- 0.99 * K + diag(0.01, n)          # VanRaden G blended with 1% identity (positive definite)
  ids <- sprintf("g%05d", seq_len(n))
  dimnames(K) <- list(ids, ids)
  L <- chol(K)                           # K = L'L
  gdraw <- function(q) crossprod(L, matrix(stats::rnorm(n * q), n, q))
  # Factors: F = sqrt(h2F) * genetic + sqrt(1 - h2F) * residual
  h2F <- stats::runif(k, 0.2, 0.8)
  F <- sweep(gdraw(k), 2, sqrt(h2F), "*") +
       sweep(matrix(stats::rnorm(n * k), n, k), 2, sqrt(1 - h2F), "*")
  # Sparse loadings with decreasing column scale
  Lambda <- matrix(stats::rnorm(p * k), p, k) *
            matrix(stats::rbinom(p * k, 1, 0.3), p, k)
  Lambda <- sweep(Lambda, 2, 1 / sqrt(seq_len(k)), "*")
  # Trait-specific part with its own h2
  h2 <- stats::runif(p, 0.1, 0.6)
  E <- sweep(gdraw(p), 2, sqrt(h2), "*") +
       sweep(matrix(stats::rnorm(n * p), n, p), 2, sqrt(1 - h2), "*")
  Y <- tcrossprod(F, Lambda) + E
  colnames(Y) <- sprintf("t%04d", seq_len(p))
  d <- data.frame(id = factor(ids, levels = ids))
  if (size == "probit") Y[] <- as.numeric(Y > 0)
  if (size == "negbin") {
    d$lib <- exp(stats::runif(n, -0.55, 0.55))
    Y[] <- stats::rnbinom(n * p, mu = exp(2 + 0.7 * Y) * d$lib, size = 5)
  }
  if (size == "probes") {
    # three probes per gene: P_iq = mu_q + Y_i,gene(q) + e_iq, e_iq ~ N(0, s_q^2)
    gene <- rep(colnames(Y), each = 3)
    q <- length(gene)
    P <- sweep(Y[, rep(seq_len(p), each = 3)] + sweep(matrix(stats::rnorm(n * q), n, q), 2,
                                                      stats::runif(q, 0.3, 1.5), "*"),
               2, stats::rnorm(q, sd = 2), "+")
    colnames(P) <- sprintf("probe%05d", seq_len(q))
    return(list(Y = P, gene = gene, K = K, d = d))
  }
  if (size == "curves") {
    # each individual's curve on a 6-function B-spline basis of age, measured at 10 random ages
    long <- d[rep(seq_len(n), each = 10), , drop = FALSE]
    long$age <- stats::runif(10 * n, 0, 10)
    B <- splines::bs(long$age, df = p, intercept = TRUE, Boundary.knots = c(0, 10))
    long$y <- rowSums(B * Y[as.integer(long$id), ]) + stats::rnorm(10 * n, sd = 0.3)
    return(list(long = long, K = K, d = d))
  }
  if (two_terms) {
    d$block <- factor(sprintf("b%02d", (seq_len(n) - 1L) %% 50L + 1L))
    Y <- Y + matrix(stats::rnorm(50 * p, sd = sqrt(0.2)), 50, p)[as.integer(d$block), ]
  }
  list(Y = Y, K = K, d = d)
}

if (mode == "simulate") {
  dir <- args[3]
  dir.create(dir, showWarnings = FALSE, recursive = TRUE)
  t0 <- proc.time()[["elapsed"]]
  saveRDS(simulate(n, p, k), file.path(dir, paste0(size, ".rds")), compress = FALSE)
  cat(sprintf("simulated %s (n = %d, p = %d, k = %d) in %.1f s\n", size, n, p, k,
              proc.time()[["elapsed"]] - t0))
  quit(save = "no")
}

stopifnot(mode == "run")
threads <- as.integer(args[3])
dir <- args[4]
out <- args[5]
nitt <- if (length(args) >= 6) as.integer(args[6]) else default_nitt[[size]]

suppressPackageStartupMessages(library(SLAMglmm))
dat <- readRDS(file.path(dir, paste0(size, ".rds")))
Y <- dat$Y; K <- dat$K; d <- dat$d; gene <- dat$gene; long <- dat$long
rm(dat)

draws_runs <- grepl("^draws_", size)
run <- function(nitt, burnin, thin) {
  t0 <- proc.time()[["elapsed"]]
  draws_dir <- if (size %in% c("draws_disk", "p20000")) tempfile("bench-draws") else NULL
  on.exit(unlink(draws_dir, recursive = TRUE), add = TRUE)
  form <- if (two_terms) Y ~ 1 + (1 | id) + (1 | block) else Y ~ 1 + (1 | id)
  route <- if (size == "two_terms_full") "full" else "auto"
  family <- switch(size, probit = "probit", negbin = slam_negbin(offset = log(d$lib)),
                   probes = slam_probes(gene = gene),
                   curves = slam_curve(time = ~ age, id = ~ id, basis = "bs", df = p), NULL)
  if (size == "curves") form <- y ~ 1 + (1 | id)
  fit <- SLAMglmm(form, data = if (size == "curves") long else d, relmat = list(id = K),
                  n_factors = k, family = family,
                  prior = slam_prior(h2 = list(divisions = 20)),
                  nitt = nitt, burnin = burnin, thin = thin, threads = threads,
                  verbose = FALSE, adapt = FALSE, grid_route = route, draws = draws_dir)
  el <- proc.time()[["elapsed"]] - t0
  rm(fit)
  gc()    # so that the set-up run's fit is not still held when the timed run peaks
  el
}

setup <- run(nitt = 1L, burnin = 0L, thin = 1L)
burnin <- if (draws_runs) 50L else nitt %/% 2L
total <- run(nitt = nitt, burnin = burnin, thin = if (draws_runs) 1L else 5L)
ms <- 1000 * (total - setup) / (nitt - 1L)

status <- readLines("/proc/self/status")
hwm <- grep("^VmHWM:", status, value = TRUE)
peak_mb <- as.numeric(gsub("[^0-9]", "", hwm)) / 1024

res <- data.frame(size = size, n = n, p = p, k = k, threads = threads, nitt = nitt,
                  setup_s = round(setup, 3), ms_per_iter = round(ms, 2),
                  peak_mb = round(peak_mb, 1))
utils::write.table(res, out, sep = ",", row.names = FALSE, col.names = !file.exists(out),
                   append = file.exists(out), quote = FALSE)
cat(sprintf("%-6s threads=%d  nitt=%d  setup %.2f s  %.2f ms/iter  peak %.0f MB\n",
            size, threads, nitt, setup, ms, peak_mb))
