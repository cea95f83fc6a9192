# Validation of the observation models on data nobody tuned the package for (not part of the
# package or of CI; takes tens of minutes).
#
#   Rscript validation/non-gaussian.R [rice] [counts]
#
# rice:   binary (awns) and ordinal (culm habit) traits of the rice panel shipped as `rice`, with a
#         genomic relationship matrix from `rice_markers`: SLAMglmm against brms/Stan on the same
#         models (probit with a relationship-matrix random effect; cumulative probit), single-trait
#         (n_factors = 0). Needs the Debian packages r-cran-brms and r-cran-rstan (and, because
#         Debian's BH has no include/, the symlink
#         ln -s /usr/include "$(Rscript -e 'cat(system.file(package="BH"))')/include").
#         Parameterisation: brms fixes the residual variance of the liability at 1, SLAMglmm fixes
#         the trait's total variance psi = Var(u) + Var(e) at 1, so with brms' sd of the accession
#         effect s, the share of the accession is h2 = s^2 / (1 + s^2), and a brms threshold t
#         corresponds to t * sqrt(1 - h2) in SLAMglmm (per draw).
# counts: simulated RNA-seq counts at n = 400 and 1600: the error of the genetic covariance matrix G
#         (on the latent log scale) and of the heritabilities, for a negative binomial model with
#         library-size offsets and for a Gaussian model of log-CPM (put back on the log scale).

args <- commandArgs(trailingOnly = TRUE)
parts <- if (length(args)) args else c("rice", "counts")
suppressPackageStartupMessages(library(SLAMglmm))
summ <- function(x) c(mean = mean(x), lower = unname(quantile(x, 0.025)),
                      upper = unname(quantile(x, 0.975)))

if ("rice" %in% parts) {
  data(rice, rice_markers)
  M <- apply(rice_markers, 2, function(x) { x[is.na(x)] <- mean(x, na.rm = TRUE); x })
  pa <- colMeans(M) / 2
  W <- sweep(M, 2, 2 * pa)
  K <- tcrossprod(W) / (2 * sum(pa * (1 - pa)))
  K <- 0.98 * K + diag(0.02, nrow(K))
  dimnames(K) <- list(rownames(rice_markers), rownames(rice_markers))
  stopifnot(requireNamespace("brms", quietly = TRUE))

  # One trait, one random effect of the accession with K: SLAMglmm and brms on the same data.
  both <- function(trait, fam_slam, fam_brms, nitt, burnin, seed) {
    d <- rice[!is.na(rice[[trait]]), ]
    set.seed(seed)
    s <- SLAMglmm(stats::reformulate("1 + (1 | accession)", trait), data = d,
                  relmat = list(accession = K), family = fam_slam, n_factors = 0, nitt = nitt,
                  burnin = burnin, thin = 10, verbose = FALSE)
    b <- brms::brm(stats::reformulate("1 + (1 | gr(accession, cov = K))", trait), data = d,
                   data2 = list(K = K), family = fam_brms, chains = 2, iter = 3000, warmup = 1000,
                   seed = seed, refresh = 0)
    pb <- brms::as_draws_df(b)
    sd_b <- pb[["sd_accession__Intercept"]]
    h <- s$draws$h2[1, ]
    cat("\n== ", trait, " ==\n", sep = "")
    print(rbind(SLAMglmm_h2 = summ(h), brms_h2 = summ(sd_b^2 / (1 + sd_b^2))))
    list(slam = s, brms = pb, h2 = h)
  }
  r1 <- both("awn", "probit", brms::bernoulli("probit"), 30000, 5000, 1)
  print(rbind(SLAMglmm_intercept = summ(r1$slam$draws$B[1, 1, ] / sqrt(1 - r1$h2)),
              brms_intercept = summ(r1$brms[["b_Intercept"]])))
  r2 <- both("culm", "ordinal", brms::cumulative("probit"), 40000, 10000, 2)
  # cut-point spacings in units of the residual sd: SLAMglmm g_c / sqrt(1 - h2); brms t_c - t_1
  cp <- r2$slam$draws$family
  for (r in seq_len(nrow(cp))) {
    sp_b <- r2$brms[[paste0("b_Intercept[", r + 1, "]")]] - r2$brms[["b_Intercept[1]"]]
    print(rbind(SLAMglmm = summ(cp[r, ] / sqrt(1 - r2$h2)), brms = summ(sp_b)))
  }
  print(family_params(r2$slam))
}

if ("counts" %in% parts) {
  sim_counts <- function(n_fam, per = 8, p = 12, seed = 1) {
    set.seed(seed)
    n <- n_fam * per
    sire <- rep(seq_len(n_fam), each = per)
    Kp <- outer(sire, sire, function(a, b) ifelse(a == b, 0.5, 0)); diag(Kp) <- 1
    ids <- sprintf("p%05d", seq_len(n))
    dimnames(Kp) <- list(ids, ids)
    L <- chol(Kp)
    k <- 2
    Lambda <- cbind(rep(c(0.8, 0), c(7, p - 7)), rep(c(0, 0.6, -0.6), c(5, 4, p - 9)))
    h2F <- c(0.7, 0.2); h2 <- rep(c(0.1, 0.4, 0.4), length.out = p); psi <- 0.5
    Fs <- sweep(crossprod(L, matrix(rnorm(n * k), n, k)), 2, sqrt(h2F), "*") +
      sweep(matrix(rnorm(n * k), n, k), 2, sqrt(1 - h2F), "*")
    E <- sweep(crossprod(L, matrix(rnorm(n * p), n, p)), 2, sqrt(h2 * psi), "*") +
      sweep(matrix(rnorm(n * p), n, p), 2, sqrt((1 - h2) * psi), "*")
    lib <- exp(rnorm(n, 0, 0.5))
    y <- matrix(rnbinom(n * p, mu = exp(1.1 + tcrossprod(Fs, Lambda) + E) * lib, size = 5), n, p)
    G <- Lambda %*% diag(h2F) %*% t(Lambda) + diag(h2 * psi)
    P <- Lambda %*% t(Lambda) + diag(psi, p)
    list(y = y, lib = lib, d = data.frame(id = factor(ids, levels = ids)), K = Kp, G = G,
         h2 = diag(G) / diag(P))
  }
  rel <- function(A, B) sqrt(sum((A - B)^2) / sum(B^2))
  res <- NULL
  for (n_fam in c(50, 200)) for (rep in 1:3) {
    s <- sim_counts(n_fam, seed = 100 * n_fam + rep)
    d <- s$d
    y <- s$y
    set.seed(rep)
    nb <- SLAMglmm(y ~ 1 + (1 | id), data = d, relmat = list(id = s$K),
                   family = slam_negbin(offset = log(s$lib)), n_factors = 3, adapt = FALSE,
                   nitt = 4000, burnin = 1500, thin = 5, verbose = FALSE)
    lcpm <- log((y + 0.5) / s$lib)
    set.seed(rep)
    ga <- SLAMglmm(lcpm ~ 1 + (1 | id), data = d, relmat = list(id = s$K), n_factors = 3,
                   adapt = FALSE, nitt = 4000, burnin = 1500, thin = 5, verbose = FALSE)
    res <- rbind(res, data.frame(
      n = nrow(y), rep = rep,
      G_err_nb = rel(VarCorr(nb)$id, s$G), G_err_lcpm = rel(VarCorr(ga)$id, s$G),
      h2_err_nb = mean(abs(h2(nb)$estimate - s$h2)), h2_err_lcpm = mean(abs(h2(ga)$estimate - s$h2))))
    print(utils::tail(res, 1))
  }
  cat("\nmeans over replicates:\n")
  print(stats::aggregate(. ~ n, data = res[, -2], FUN = mean))
}
