# Issue 10, per-trait variance proportions: is the h2 of a multi-trait fit pulled toward the mean?
#
#   Rscript validation/h2-pulling.R [--lib=PATH] [--data=DIR] [--only=mice,sim] [--seeds=1]
#                                   [--settings=default_k10,...] [--out=CSV]
#
# For every setting: the posterior mean of h2_total (h2(fit)) of each trait, regressed on the
# single-trait REML h2 (mice; Potassium, 153 records, is in the fit but left out of the regression) or
# on the true h2 and on REML (simulated data). A slope below 1 means the per-trait h2 are pulled
# together. REML: y = X b + u + e, u ~ N(0, s2 h2 A), e ~ N(0, s2 (1 - h2) I), rotated by the
# eigenvectors of A (the observed rows' block), restricted likelihood profiled over s2 and maximised over
# h2 in [0, 0.999] by optimize(). Check: SLAMglmm with n_factors = 0 (independent single-trait models,
# uniform grid prior) agrees with it (slope 0.99, RMSE 0.008 on mice).
#
# Data: DATA_DIR/mice (mice_pheno.csv, mice_A_pedigree_relationship.csv.gz): the 17 blood biochemistry
# traits ~ GENDER + (1 | SUBJECT.NAME), pedigree relationship A. Simulated: the mice rows, A and GENDER,
# 16 traits with h2 equally spaced over [0.05, 0.8] (shuffled), genetic and residual correlations each
# from 3 sparse factors plus a trait-specific part (so G and R are not proportional), a sex effect, the
# traits on different scales; complete, and again with the mice traits' missingness pattern.
# Writes validation/h2-pulling-results.csv (one row per setting and seed).
suppressPackageStartupMessages({
  args <- commandArgs(trailingOnly = TRUE)
  opt <- function(name, default) {
    a <- grep(paste0("^--", name, "="), args, value = TRUE)
    if (length(a)) sub(paste0("^--", name, "="), "", a[length(a)]) else default
  }
  lib <- opt("lib", "")
  if (nzchar(lib)) .libPaths(c(lib, .libPaths()))
  library(SLAMglmm)
})
data_dir <- opt("data", "/work/shared/data")
only <- strsplit(opt("only", "mice,sim"), ",")[[1]]
seeds <- as.integer(strsplit(opt("seeds", "1"), ",")[[1]])
out_csv <- opt("out", "validation/h2-pulling-results.csv")

# REML h2 of y = X b + u + e, u ~ N(0, s2 h2 K), e ~ N(0, s2 (1-h2) I), by rotation with K's eigenvectors
reml_h2 <- function(y, X, K) {
  ok <- !is.na(y)
  y <- y[ok]; X <- X[ok, , drop = FALSE]; K <- K[ok, ok]
  e <- eigen(K, symmetric = TRUE)
  s <- pmax(e$values, 0)
  yt <- drop(crossprod(e$vectors, y)); Xt <- crossprod(e$vectors, X)
  n <- length(y); b <- ncol(X)
  nll <- function(h) {
    d <- h * s + 1 - h
    w <- 1 / d
    XtWX <- crossprod(Xt, Xt * w)
    beta <- solve(XtWX, crossprod(Xt, yt * w))
    r <- yt - drop(Xt %*% beta)
    s2 <- sum(r^2 * w) / (n - b)
    0.5 * ((n - b) * log(s2) + sum(log(d)) + as.numeric(determinant(XtWX)$modulus))
  }
  o <- optimize(nll, c(0, 0.999), tol = 1e-6)
  # also check boundary 0
  if (nll(0) < o$objective) return(0)
  o$minimum
}
mice_data <- function(dir = "/work/shared/data") {
  ph <- utils::read.csv(file.path(dir, "mice/mice_pheno.csv"), stringsAsFactors = TRUE)
  A <- as.matrix(utils::read.csv(gzfile(file.path(dir, "mice/mice_A_pedigree_relationship.csv.gz")),
                                 row.names = 1, check.names = FALSE))
  tr <- paste0("Biochem.", c("Albumin", "ALP", "ALT", "AST", "Calcium", "Chloride", "Creatinine",
                             "Glucose", "HDL", "LDL", "Phosphorous", "Potassium", "Sodium",
                             "Tot.Cholesterol", "Tot.Protein", "Triglycerides", "Urea"))
  A <- A[as.character(ph$SUBJECT.NAME), as.character(ph$SUBJECT.NAME)]
  list(ph = ph, A = A, traits = tr)
}
summ <- function(est, ref, keep = rep(TRUE, length(est))) {
  cf <- coef(lm(est[keep] ~ ref[keep]))
  c(slope = unname(cf[2]), intercept = unname(cf[1]), rmse = sqrt(mean((est[keep] - ref[keep])^2)))
}
run_setting <- function(name, args, ref, keep, extra_ref = NULL, seed = 1) {
  set.seed(seed)
  t0 <- proc.time()[["elapsed"]]
  fit <- do.call(SLAMglmm, c(args, list(verbose = FALSE)))
  sec <- proc.time()[["elapsed"]] - t0
  h <- h2(fit)
  est <- h$estimate[h$term == h$term[1]]
  s <- summ(est, ref, keep)
  d <- slam_diagnostics(fit, what = "h2_total")
  k <- if (length(dim(fit$draws$Lambda)) == 3) dim(fit$draws$Lambda)[2] else 0
  row <- data.frame(setting = name, slope = s[["slope"]], intercept = s[["intercept"]], rmse = s[["rmse"]],
                    seconds = sec, k = k, min_ess = min(d$ess_bulk, na.rm = TRUE),
                    max_rhat = max(d$rhat, na.rm = TRUE))
  if (!is.null(extra_ref)) {
    s2 <- summ(est, extra_ref, keep)
    row$slope2 <- s2[["slope"]]; row$intercept2 <- s2[["intercept"]]; row$rmse2 <- s2[["rmse"]]
  }
  print(row, digits = 3); flush.console()
  list(row = row, est = est)
}
# REML for all columns sharing one eigendecomposition (complete data)
reml_h2_all <- function(Y, X, K) {
  e <- eigen(K, symmetric = TRUE)
  s <- pmax(e$values, 0); Q <- e$vectors
  Xt <- crossprod(Q, X); n <- nrow(X); b <- ncol(X)
  apply(Y, 2, function(y) {
    yt <- drop(crossprod(Q, y))
    nll <- function(h) {
      d <- h * s + 1 - h; w <- 1 / d
      XtWX <- crossprod(Xt, Xt * w)
      beta <- solve(XtWX, crossprod(Xt, yt * w))
      r <- yt - drop(Xt %*% beta)
      0.5 * ((n - b) * log(sum(r^2 * w) / (n - b)) + sum(log(d)) + as.numeric(determinant(XtWX)$modulus))
    }
    o <- optimize(nll, c(0, 0.999), tol = 1e-6)
    if (nll(0) < o$objective) 0 else o$minimum
  })
}
sim_data <- function(m, p = 16, kg = 3, kr = 3, seed = 1, eA = NULL) {
  set.seed(seed)
  n <- nrow(m$A)
  if (is.null(eA)) eA <- eigen(m$A, symmetric = TRUE)
  LA <- eA$vectors %*% diag(sqrt(pmax(eA$values, 0)))
  h2 <- sample(seq(0.05, 0.8, length.out = p))
  corr_of <- function(k, spec) {
    L <- matrix(rnorm(p * k), p, k) * matrix(rbinom(p * k, 1, 0.6), p, k)
    S <- tcrossprod(L) + diag(spec, p)
    cov2cor(S)
  }
  Cg <- corr_of(kg, 0.5); Cr <- corr_of(kr, 0.5)
  G <- diag(sqrt(h2)) %*% Cg %*% diag(sqrt(h2))
  R <- diag(sqrt(1 - h2)) %*% Cr %*% diag(sqrt(1 - h2))
  U <- LA %*% matrix(rnorm(n * p), n, p) %*% chol(G)
  E <- matrix(rnorm(n * p), n, p) %*% chol(R)
  sex <- as.numeric(m$ph$GENDER == "M")
  Y <- U + E + outer(sex, rnorm(p, 0, 0.5))
  Y <- sweep(Y, 2, runif(p, 1, 10), "*")  # traits on different scales
  colnames(Y) <- sprintf("t%02d", seq_len(p))
  d <- data.frame(SUBJECT.NAME = m$ph$SUBJECT.NAME, GENDER = m$ph$GENDER)
  d$Y <- Y
  list(data = d, h2 = h2, Y = Y, eA = eA)
}

# ---- settings: one change at a time from the defaults (nitt 3000, burnin 1000, thin 2, 10 factors) ----
weak <- slam_prior(Lambda = list(a1 = 1, a2 = 1.1, delta_min = 0))
settings <- list(
  univariate_k0 = list(n_factors = 0),
  default_k10 = list(),
  adaptF_k10 = list(adapt = FALSE),
  adaptF_k3 = list(adapt = FALSE, n_factors = 3),
  adaptF_k6 = list(adapt = FALSE, n_factors = 6),
  adaptF_k16 = list(adapt = FALSE, n_factors = 16),
  weakLambda = list(prior = weak),
  h2F_mass0 = list(prior = slam_prior(h2 = list(factor = c(5, rep(1, 19))))),
  nocollapse = list(collapse_factors = FALSE),
  long_12000 = list(nitt = 12000, burnin = 2000, thin = 10)
)
pick <- opt("settings", "")
if (nzchar(pick)) settings <- settings[strsplit(pick, ",")[[1]]]
rows <- list()
add <- function(data_name, r, seed) {
  rows[[length(rows) + 1L]] <<- cbind(data = data_name, seed = seed, r$row)
  utils::write.csv(do.call(rbind, rows), out_csv, row.names = FALSE)
}

if ("mice" %in% only) {
  m <- mice_data(data_dir)
  X <- model.matrix(~ GENDER, m$ph)
  reml <- sapply(m$traits, function(t) reml_h2(m$ph[[t]], X, m$A))
  keep <- m$traits != "Biochem.Potassium"
  form <- stats::as.formula(paste0("cbind(", paste(m$traits, collapse = ", "), ") ~ GENDER + (1 | SUBJECT.NAME)"))
  base <- list(formula = form, data = m$ph, relmat = list(SUBJECT.NAME = m$A), n_factors = 10,
               nitt = 3000, burnin = 1000, thin = 2)
  for (sd in seeds) for (nm in names(settings)) {
    add("mice", run_setting(nm, modifyList(base, settings[[nm]]), reml, keep, seed = sd), sd)
  }
}
if ("sim" %in% only) {
  m <- mice_data(data_dir)
  eA <- eigen(m$A, symmetric = TRUE)
  miss <- is.na(as.matrix(m$ph[, setdiff(m$traits, "Biochem.Potassium")]))
  for (rep in 1:2) {
    s <- sim_data(m, seed = rep, eA = eA)
    X <- model.matrix(~ GENDER, s$data)
    s$reml <- reml_h2_all(s$Y, X, m$A)
    cat("sim", rep, ": REML vs truth ", paste(names(summ(s$reml, s$h2)), round(summ(s$reml, s$h2), 3),
                                              collapse = " "), "\n")
    for (with_na in c(FALSE, TRUE)) {
      d <- s$data; ref2 <- s$reml
      if (with_na) {
        Y <- d$Y; Y[miss] <- NA; d$Y <- Y
        ref2 <- sapply(1:16, function(j) reml_h2(Y[, j], X, m$A))
      }
      base <- list(formula = Y ~ GENDER + (1 | SUBJECT.NAME), data = d, relmat = list(SUBJECT.NAME = m$A),
                   n_factors = 10, nitt = 3000, burnin = 1000, thin = 2)
      nms <- if (with_na) c("univariate_k0", "default_k10") else names(settings)
      for (sd in seeds) for (nm in nms) {
        add(paste0("sim", rep, if (with_na) "_NA" else ""),
            run_setting(nm, modifyList(base, settings[[nm]]), s$h2, rep(TRUE, 16), extra_ref = ref2, seed = sd), sd)
      }
    }
  }
}
