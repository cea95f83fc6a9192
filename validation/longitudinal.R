# Validation of the curve families (slam_curve(), slam_nonlinear()) on public longitudinal data
# nobody tuned the package for, against lme4, nlme and (where installed) brms. Not part of the
# package or of CI; a few minutes on 2 cores, most of it compiling the brms model.
#
#   Rscript validation/longitudinal.R [sleep] [control] [chick] [orange] [loblolly] [soybean] [sparse]
#
# sleep:    lme4's sleepstudy, random regression of reaction time on days of sleep deprivation:
#           lmer(Reaction ~ Days + (Days | Subject)) (REML, profile intervals), brms with its default
#           priors, SLAMglmm with slam_curve(basis = "poly", df = 2) (for "poly" the degree is
#           df - 1: df = 2 is intercept + slope). With `id = ~ Subject` and no random-effect term,
#           the individuals' coefficients are the model's rows and their covariance is the
#           "Residual" component of VarCorr(), P = Lambda Lambda' + diag(psi); the coefficients
#           are on an orthogonal-polynomial basis, so they are mapped per draw to (value at day 0,
#           slope per day) before they are compared with lmer's random intercept and slope.
# control:  data simulated from the lmer estimates of sleepstudy with 18 and with 300 subjects:
#           shows how much of the difference in `sleep` is the prior at 18 subjects.
# chick:    ChickWeight (50 chicks, weight at days 0-21, Diet constant within a chick): the same
#           basis (quadratic orthogonal polynomial; cubic B-spline with 4 functions) in lmer, with
#           random coefficients and Diet acting on every coefficient, and in SLAMglmm; population
#           curves per diet, covariance function between days, measurement variance.
# orange:   Orange trees, logistic growth, nlme with a random asymptote (as in nlme's examples).
# loblolly: Loblolly pines, logistic (nlme: random asymptote) and Gompertz growth (nlme: random
#           asymptote and rate); the default working scales (|start| / 4) are checked.
# soybean:  Soybean plots (Pinheiro and Bates 2000, ch. 6), logistic growth of 48 plots, nlme with
#           a general (pdSymm) and a diagonal (pdDiag) covariance of the random effects.
# sparse:   simulated growth data with sparse, irregular measurement times (600 individuals, each
#           measured 3-8 times at its own ages 1-100, as in the growth-curves vignette, without
#           the pedigree): covariance function of the individuals' curves from SLAMglmm (B-spline
#           df = 4 and polynomial df = 3) against the truth and lmer on the same basis, and the
#           prior scale slam_curve() gives each coefficient. Unlike ChickWeight (12 measurements
#           at the same days) many individuals have nearly singular least-squares designs here.
#
# SLAMglmm always gives every coefficient (or curve parameter) an individual-level variance and a
# (factor-model) covariance with the others, under its default priors (slam_prior(): inverse-gamma
# residual variances on the standardised scale, shrinkage of loadings and of fixed effects); the
# SLAMglmm_weak columns refit with weaker priors (and, for non-linear curves, smaller working
# scales) to show which differences are the priors.

args <- commandArgs(trailingOnly = TRUE)
parts <- if (length(args)) args else c("sleep", "control", "chick", "orange", "loblolly", "soybean",
                                       "sparse")
suppressPackageStartupMessages(library(SLAMglmm))
stopifnot(requireNamespace("lme4", quietly = TRUE), requireNamespace("nlme", quietly = TRUE),
          requireNamespace("coda", quietly = TRUE))
t_start <- proc.time()
NITT <- 42000
BURN <- 2000
THIN <- 20  # 2000 saved draws per fit
# weaker priors, to show which differences are the default priors: residual variances of the
# coefficients (R), shrinkage of fixed effects (B) and measurement variances (curves)
WEAK <- slam_prior(R = list(V = 0.01, nu = 3), B = list(shape = 2, scale = 1000),
                   curves = list(shape = 2, scale = 0.001))

## ---- helpers ------------------------------------------------------------------------------------

fmt <- function(x, digits = 4) {
  ifelse(is.na(x), "", trimws(formatC(signif(x, digits), digits = digits, format = "fg")))
}
est_ci <- function(est, lo = NA, hi = NA) {
  ifelse(is.na(lo), fmt(est), paste0(fmt(est), " [", fmt(lo), ", ", fmt(hi), "]"))
}
# posterior mean, 95% equal-tailed interval and effective sample size of a vector of draws
post <- function(x) {
  c(mean = mean(x), lower = unname(stats::quantile(x, 0.025)),
    upper = unname(stats::quantile(x, 0.975)), ess = unname(coda::effectiveSize(x)))
}
post_str <- function(x) { s <- post(x); est_ci(s["mean"], s["lower"], s["upper"]) }
# a markdown (pipe) table, printed so that it can be pasted into the results file
md <- function(df, title = NULL) {
  if (!is.null(title)) cat("\n", title, "\n\n", sep = "")
  df[] <- lapply(df, as.character)
  cat("| ", paste(names(df), collapse = " | "), " |\n", sep = "")
  cat("|", paste(rep("---", ncol(df)), collapse = "|"), "|\n", sep = "")
  for (i in seq_len(nrow(df))) cat("| ", paste(unlist(df[i, ]), collapse = " | "), " |\n", sep = "")
  invisible(df)
}

# Per-draw covariance of the individuals' coefficients (p x p x T) for a fit without a
# random-effect term: P = Lambda Lambda' + diag(psi) (documented in ?SLAMglmm), recomputed from the
# draws and checked against the package's VarCorr().
coef_cov_draws <- function(fit) {
  stopifnot(length(fit$terms) == 0L)
  L <- fit$draws$Lambda
  psi <- fit$draws$psi
  p <- nrow(psi)
  A <- array(0, c(p, p, ncol(psi)), dimnames = list(fit$traits, fit$traits, NULL))
  for (t in seq_len(ncol(psi))) {
    Lt <- matrix(L[, , t], p)
    A[, , t] <- tcrossprod(Lt) + diag(psi[, t], p)
  }
  stopifnot(isTRUE(all.equal(apply(A, c(1, 2), mean), unclass(VarCorr(fit))$Residual,
                             check.attributes = FALSE, tolerance = 1e-6)))
  A
}
# Per-draw total fixed effects (direct plus through the factors), covariates x traits x T, checked
# against fixef()
fixef_draws <- function(fit) {
  B <- fit$draws$B
  BF <- fit$draws$BF
  k <- dim(fit$draws$Lambda)[2]
  if (length(fit$fixed_F) && k > 0) {
    for (t in seq_len(dim(B)[3])) {
      B[fit$fixed_F, , t] <- B[fit$fixed_F, , t] +
        matrix(BF[, , t], length(fit$fixed_F)) %*% t(matrix(fit$draws$Lambda[, , t], ncol = k))
    }
  }
  stopifnot(isTRUE(all.equal(apply(B, c(1, 2), mean), fixef(fit), check.attributes = FALSE,
                             tolerance = 1e-6)))
  B
}
# The basis of a slam_curve() fit at times t, as the fit evaluates it (SLAMglmm:::slam_basis_eval():
# poly: a constant plus the orthogonal polynomials of stats::poly(), each column scaled to unit root
# mean square over the measurements; bs: splines::bs() with an intercept); checked against
# curve_predict().
basis_at <- function(fit, t) {
  B <- SLAMglmm:::slam_basis_eval(fit$curves[[1]]$basis, t)
  Hc <- as.matrix(fit$H_mean)[, fit$curves[[1]]$coef_traits]
  stopifnot(isTRUE(all.equal(unname(Hc %*% t(B)), unname(curve_predict(fit, times = t)))))
  B
}
slam_fit <- function(..., seed = 1) {
  set.seed(seed)
  SLAMglmm(..., nitt = NITT, burnin = BURN, thin = THIN, verbose = FALSE)
}

## ---- (a) sleepstudy: random intercept and slope --------------------------------------------------

if ("sleep" %in% parts) {
  cat("\n=============== sleepstudy: Reaction ~ Days + (Days | Subject) ===============\n")
  data(sleepstudy, package = "lme4")
  t0 <- proc.time()
  m <- lme4::lmer(Reaction ~ Days + (Days | Subject), data = sleepstudy)
  ci_m <- suppressMessages(stats::confint(m, method = "profile", oldNames = FALSE))
  ci_fe <- stats::confint(m, method = "Wald")[c("(Intercept)", "Days"), ]
  vc <- lme4::VarCorr(m)$Subject
  s2 <- stats::sigma(m)^2
  t_lmer <- (proc.time() - t0)[["elapsed"]]
  fam <- slam_curve(time = ~ Days, id = ~ Subject, basis = "poly", df = 2)
  t0 <- proc.time()
  fit <- slam_fit(Reaction ~ 1, data = sleepstudy, family = fam)
  t_slam <- (proc.time() - t0)[["elapsed"]]
  fit_w <- slam_fit(Reaction ~ 1, data = sleepstudy, family = fam, prior = WEAK)
  # poly coefficients -> (value at day 0, slope per day): rows of Tm applied to the coefficients
  natural <- function(fit) {
    Phi <- basis_at(fit, c(0, 1))
    Tm <- rbind(Phi[1, ], Phi[2, ] - Phi[1, ])
    A <- coef_cov_draws(fit)
    S <- apply(A, 3, function(S) { N <- Tm %*% S %*% t(Tm); c(N[1, 1], N[2, 2], N[1, 2]) })
    B <- fixef_draws(fit)["(Intercept)", , ]
    list(fixed = Tm %*% B, var_a = S[1, ], var_b = S[2, ], cov = S[3, ],
         cor = S[3, ] / sqrt(S[1, ] * S[2, ]), s2 = fit$draws$family[1, ], A = A)
  }
  nd <- natural(fit)
  nw <- natural(fit_w)
  br <- NULL
  if (requireNamespace("brms", quietly = TRUE)) {
    t0 <- proc.time()
    b <- suppressMessages(brms::brm(Reaction ~ Days + (Days | Subject), data = sleepstudy,
                                    chains = 2, iter = 3000, warmup = 1000, seed = 1, refresh = 0,
                                    cores = 2, silent = 2))
    pb <- brms::as_draws_df(b)
    sa <- pb$sd_Subject__Intercept
    sb <- pb$sd_Subject__Days
    rr <- pb$cor_Subject__Intercept__Days
    br <- list(a = pb$b_Intercept, b = pb$b_Days, var_a = sa^2, var_b = sb^2, cov = rr * sa * sb,
               cor = rr, s2 = pb$sigma^2)
    t_brms <- (proc.time() - t0)[["elapsed"]]
  } else {
    cat("brms is not installed: its column is left empty.\n")
  }
  sd_ci <- function(nm) ci_m[nm, ]^2
  tab <- data.frame(
    quantity = c("intercept (day 0)", "slope (per day)", "Var(intercept)", "Var(slope)",
                 "Cov(intercept, slope)", "Cor(intercept, slope)", "measurement variance"),
    lmer_REML = c(est_ci(lme4::fixef(m)[1], ci_fe[1, 1], ci_fe[1, 2]),
                  est_ci(lme4::fixef(m)[2], ci_fe[2, 1], ci_fe[2, 2]),
                  est_ci(vc[1, 1], sd_ci("sd_(Intercept)|Subject")[1], sd_ci("sd_(Intercept)|Subject")[2]),
                  est_ci(vc[2, 2], sd_ci("sd_Days|Subject")[1], sd_ci("sd_Days|Subject")[2]),
                  est_ci(vc[1, 2]),
                  est_ci(attr(vc, "correlation")[1, 2], ci_m["cor_Days.(Intercept)|Subject", 1],
                         ci_m["cor_Days.(Intercept)|Subject", 2]),
                  est_ci(s2, ci_m["sigma", 1]^2, ci_m["sigma", 2]^2)),
    brms = if (is.null(br)) "" else c(post_str(br$a), post_str(br$b), post_str(br$var_a),
                                      post_str(br$var_b), post_str(br$cov), post_str(br$cor),
                                      post_str(br$s2)),
    SLAMglmm = c(post_str(nd$fixed[1, ]), post_str(nd$fixed[2, ]), post_str(nd$var_a),
                 post_str(nd$var_b), post_str(nd$cov), post_str(nd$cor), post_str(nd$s2)),
    SLAMglmm_weak = c(post_str(nw$fixed[1, ]), post_str(nw$fixed[2, ]), post_str(nw$var_a),
                      post_str(nw$var_b), post_str(nw$cov), post_str(nw$cor), post_str(nw$s2)),
    ess = round(c(post(nd$fixed[1, ])["ess"], post(nd$fixed[2, ])["ess"], post(nd$var_a)["ess"],
                  post(nd$var_b)["ess"], post(nd$cov)["ess"], post(nd$cor)["ess"],
                  post(nd$s2)["ess"])))
  md(tab, paste0("Table A1. sleepstudy (18 subjects, 180 measurements): estimates with 95% intervals ",
                 "(lmer: Wald for fixed effects, profile for sd/cor, squared; brms, SLAMglmm: ",
                 "posterior mean [2.5%, 97.5%]). SLAMglmm_weak: prior R = list(V = 0.01), B = list(scale = 1000), ",
                 "curves = list(scale = 0.001). ess: effective sample size of the default SLAMglmm chain."))

  # covariance function between days: lmer Z(t) Sigma Z(t)', SLAMglmm covariance_function()
  days <- c(0, 3, 6, 9)
  Z <- cbind(1, days)
  Cl <- Z %*% vc %*% t(Z)
  cf <- covariance_function(fit, times = days, interval = TRUE)$Residual
  # covariance_function() at day 0 against the per-draw variance of the value at day 0
  stopifnot(isTRUE(all.equal(cf[1, 1], mean(nd$var_a), tolerance = 1e-8)))
  cw <- covariance_function(fit_w, times = days)$Residual
  Cb <- if (is.null(br)) NULL else {
    per <- sapply(seq_along(br$var_a), function(i) {
      S <- matrix(c(br$var_a[i], br$cov[i], br$cov[i], br$var_b[i]), 2)
      Z %*% S %*% t(Z)
    })
    matrix(rowMeans(per), length(days))
  }
  pairs <- rbind(cbind(1:4, 1:4), c(1, 4), c(2, 3))
  md(data.frame(
    `C(t,t')` = paste0("C(", days[pairs[, 1]], ", ", days[pairs[, 2]], ")"),
    lmer_REML = fmt(Cl[pairs]),
    brms = if (is.null(Cb)) "" else fmt(Cb[pairs]),
    SLAMglmm = est_ci(cf[pairs], attr(cf, "lower")[pairs], attr(cf, "upper")[pairs]),
    SLAMglmm_weak = fmt(cw[pairs]),
    observed_total = fmt(c(tapply(sleepstudy$Reaction, sleepstudy$Days, stats::var)[days + 1],
                           NA, NA)),
    check.names = FALSE),
    paste0("Table A2. sleepstudy: covariance function of the subjects' curves between days ",
           "(without the measurement variance); observed_total: the sample variance of Reaction on ",
           "that day (= C(t, t) + measurement variance)."))

  # each subject's fitted curve: SLAMglmm curve_predict() against lmer's conditional modes
  pr_s <- curve_predict(fit, times = c(0, 9))
  co <- stats::coef(m)$Subject[rownames(pr_s), ]
  pr_l <- cbind(co[, 1], co[, 1] + 9 * co[, 2])
  cat(sprintf(paste0("\nSubjects' fitted curves (SLAMglmm curve_predict vs lmer coef): day 0: cor %.4f, ",
                     "max |diff| %.1f ms; day 9: cor %.4f, max |diff| %.1f ms\n"),
              stats::cor(pr_s[, 1], pr_l[, 1]), max(abs(pr_s[, 1] - pr_l[, 1])),
              stats::cor(pr_s[, 2], pr_l[, 2]), max(abs(pr_s[, 2] - pr_l[, 2]))))
  cat(sprintf("run time: lmer %.1f s (with profile intervals), SLAMglmm %.1f s per fit%s\n", t_lmer,
              t_slam, if (is.null(br)) "" else sprintf(", brms %.0f s (compiling included)", t_brms)))
  print(fit)
}

## ---- control: the same model on data simulated from the lmer estimates ----------------------------

if ("control" %in% parts) {
  cat("\n=============== control: sleepstudy-like data simulated from the lmer estimates ===============\n")
  data(sleepstudy, package = "lme4")
  m <- lme4::lmer(Reaction ~ Days + (Days | Subject), data = sleepstudy)
  beta <- lme4::fixef(m)
  S <- as.matrix(lme4::VarCorr(m)$Subject)
  sig <- stats::sigma(m)
  truth <- c(S[1, 1], S[2, 2], S[1, 2], sig^2)
  res <- NULL
  for (n_s in c(18, 300)) for (r in seq_len(if (n_s == 18) 20 else 3)) {
    set.seed(1000 * n_s + r)
    d <- data.frame(Subject = factor(rep(seq_len(n_s), each = 10)), Days = rep(0:9, n_s))
    u <- matrix(stats::rnorm(2 * n_s), n_s) %*% chol(S)
    d$Reaction <- beta[1] + u[d$Subject, 1] + (beta[2] + u[d$Subject, 2]) * d$Days +
      stats::rnorm(nrow(d), sd = sig)
    ml <- lme4::lmer(Reaction ~ Days + (Days | Subject), data = d)
    vl <- as.matrix(lme4::VarCorr(ml)$Subject)
    set.seed(r)
    fs <- SLAMglmm(Reaction ~ 1, data = d, nitt = 11000, burnin = 1000, thin = 10, verbose = FALSE,
                   family = slam_curve(time = ~ Days, id = ~ Subject, basis = "poly", df = 2))
    cs <- covariance_function(fs, times = c(0, 1))$Residual
    res <- rbind(res, data.frame(
      subjects = n_s, rep = r,
      lmer_var_a = vl[1, 1], lmer_var_b = vl[2, 2], lmer_cov = vl[1, 2], lmer_s2 = stats::sigma(ml)^2,
      slam_var_a = cs[1, 1], slam_var_b = cs[2, 2] - 2 * cs[1, 2] + cs[1, 1],
      slam_cov = cs[1, 2] - cs[1, 1], slam_s2 = family_params(fs)$estimate))
  }
  agg <- stats::aggregate(. ~ subjects, data = res[, -2], FUN = mean)
  md(data.frame(quantity = c("Var(intercept)", "Var(slope)", "Cov(intercept, slope)",
                             "measurement variance"),
                truth = fmt(truth),
                lmer_18 = fmt(unlist(agg[1, 2:5])), SLAMglmm_18 = fmt(unlist(agg[1, 6:9])),
                lmer_300 = fmt(unlist(agg[2, 2:5])), SLAMglmm_300 = fmt(unlist(agg[2, 6:9]))),
     paste0("Table A3. Simulated from the lmer estimates of sleepstudy: mean over 20 replicates ",
            "(18 subjects) and 3 replicates (300 subjects) of the REML estimate and of the ",
            "SLAMglmm posterior mean (default prior)."))
}

## ---- (b) ChickWeight: quadratic polynomial and B-spline random regression --------------------------

if ("chick" %in% parts) {
  cat("\n=============== ChickWeight: weight ~ Diet, curve of Time by Chick ===============\n")
  cw <- as.data.frame(ChickWeight)
  cw$Chick <- factor(as.character(cw$Chick))
  cw$Diet <- factor(cw$Diet)
  tt <- c(0, 7, 14, 21)
  # the empirical total variance at each day: within-diet variance of the weights on that day
  within <- sapply(tt, function(t) {
    d <- cw[cw$Time == t, ]
    sum(tapply(d$weight, d$Diet, function(v) sum((v - mean(v))^2))) / (nrow(d) - nlevels(d$Diet))
  })
  one_basis <- function(basis, df) {
    fam <- slam_curve(time = ~ Time, id = ~ Chick, basis = basis, df = df)
    t0 <- proc.time()
    fit <- slam_fit(weight ~ Diet, data = cw, family = fam)
    t_slam <- (proc.time() - t0)[["elapsed"]]
    fit_w <- slam_fit(weight ~ Diet, data = cw, family = fam, prior = WEAK)
    # lmer on exactly the same basis: Diet acts on every coefficient, random coefficients by chick
    Phi <- basis_at(fit, cw$Time)
    K <- ncol(Phi)
    X <- stats::model.matrix(~ Diet, cw)
    XB <- do.call(cbind, lapply(seq_len(K), function(j) Phi[, j] * X))
    colnames(XB) <- paste0("x", seq_len(ncol(XB)))
    colnames(Phi) <- paste0("phi", seq_len(K))
    dl <- data.frame(weight = cw$weight, Chick = cw$Chick, XB, Phi)
    f <- stats::as.formula(paste("weight ~ 0 +", paste(colnames(XB), collapse = " + "), "+ (0 +",
                                 paste(colnames(Phi), collapse = " + "), "| Chick)"))
    t0 <- proc.time()
    m <- suppressMessages(lme4::lmer(f, data = dl))
    t_lmer <- (proc.time() - t0)[["elapsed"]]
    Sg <- as.matrix(lme4::VarCorr(m)$Chick)
    Pt <- basis_at(fit, tt)
    # population mean weight of each diet at the days tt
    xd <- function(d) stats::model.matrix(~ Diet, data.frame(Diet = factor(d, levels = 1:4)))
    Bd <- fixef_draws(fit)
    Bw <- fixef_draws(fit_w)
    rows <- NULL
    for (d in 1:4) for (i in seq_along(tt)) {
      L <- kronecker(Pt[i, , drop = FALSE], xd(d))  # x_d (x) phi(t), in the column order of XB
      e <- drop(L %*% lme4::fixef(m))
      se <- sqrt(drop(L %*% as.matrix(stats::vcov(m)) %*% t(L)))
      sd_ <- apply(Bd, 3, function(B) drop(xd(d) %*% B %*% Pt[i, ]))
      sw <- apply(Bw, 3, function(B) drop(xd(d) %*% B %*% Pt[i, ]))
      rows <- rbind(rows, data.frame(diet = d, day = tt[i],
                                     lmer_REML = est_ci(e, e - 1.96 * se, e + 1.96 * se),
                                     SLAMglmm = post_str(sd_), SLAMglmm_weak = post_str(sw)))
    }
    md(rows[rows$day %in% c(0, 21), ],
       paste0("Table B1 (", basis, ", df = ", df, "). ChickWeight: population mean weight (g) by ",
              "diet at days 0 and 21 (lmer: Wald interval; SLAMglmm: posterior mean [95%]). ",
              "SLAMglmm_weak: prior R = list(V = 0.01), B = list(scale = 1000), curves = list(scale = 0.001)."))
    cf <- covariance_function(fit, times = tt, interval = TRUE)$Residual
    cwk <- covariance_function(fit_w, times = tt)$Residual
    Cl <- Pt %*% Sg %*% t(Pt)
    pairs <- rbind(cbind(1:4, 1:4), c(1, 4), c(2, 4), c(3, 4))
    s2l <- stats::sigma(m)^2
    fp <- family_params(fit)
    fpw <- family_params(fit_w)
    md(data.frame(
      quantity = c(paste0("C(", tt[pairs[, 1]], ", ", tt[pairs[, 2]], ")"), "measurement variance"),
      lmer_REML = fmt(c(Cl[pairs], s2l)),
      SLAMglmm = c(est_ci(cf[pairs], attr(cf, "lower")[pairs], attr(cf, "upper")[pairs]),
                   est_ci(fp$estimate, fp$lower, fp$upper)),
      SLAMglmm_weak = fmt(c(cwk[pairs], fpw$estimate)),
      observed_total = c(fmt(within), rep("", nrow(pairs) - 4 + 1))),
      paste0("Table B2 (", basis, ", df = ", df, "). ChickWeight: covariance function of the ",
             "chicks' curves (g^2) and measurement variance; observed_total: within-diet variance ",
             "of the weights on that day (= C(t, t) + measurement variance if the model held)."))
    cat(sprintf("lmer: %s; run time lmer %.1f s, SLAMglmm %.1f s per fit; SLAMglmm factors: %d\n",
                if (lme4::isSingular(m)) "singular fit (a random-effect correlation at +-1)" else "regular fit",
                t_lmer, t_slam, fit$n_factors))
  }
  one_basis("poly", 3)
  one_basis("bs", 4)
}

## ---- (c) non-linear growth curves -------------------------------------------------------------------

# nlme reference values for a table: fixed effects with intervals, sd of the random effects, residual sd
nlme_ref <- function(nm, pars) {
  fe <- nlme::fixef(nm)
  iv <- tryCatch(nlme::intervals(nm, which = "all"), error = function(e) NULL)
  ivf <- tryCatch(nlme::intervals(nm, which = "fixed")$fixed, error = function(e) NULL)
  vc <- nlme::VarCorr(nm)
  sds <- stats::setNames(rep(0, length(pars)), pars)
  sd_nm <- suppressWarnings(as.numeric(vc[, "StdDev"]))
  names(sd_nm) <- rownames(vc)
  for (p in intersect(pars, names(sd_nm))) sds[p] <- sd_nm[p]
  out <- data.frame(est = c(fe[pars], sds, stats::sigma(nm)), lower = NA_real_, upper = NA_real_,
                    row.names = c(pars, paste0("sd(", pars, ")"), "residual sd"))
  if (!is.null(ivf)) out[pars, c("lower", "upper")] <- ivf[pars, c("lower", "upper")]
  if (!is.null(iv)) {
    re <- iv$reStruct[[1]]
    for (p in pars) {
      r <- paste0("sd(", p, ")")
      if (r %in% rownames(re)) out[r, c("lower", "upper")] <- re[r, c("lower", "upper")]
    }
    out["residual sd", c("lower", "upper")] <- iv$sigma[c("lower", "upper")]
  }
  out
}
nlme_str <- function(ref) {
  # intervals of variance components at the boundary (sd ~ 0) are meaningless: show the estimate
  wild <- !is.na(ref$upper) & ref$upper > 1e3 * pmax(abs(ref$est), 1e-8)
  ref$lower[wild] <- NA
  est_ci(ref$est, ref$lower, ref$upper)
}
# SLAMglmm summaries of a slam_nonlinear() fit in the same rows
slam_nl <- function(fit, pars) {
  A <- coef_cov_draws(fit)
  B <- fixef_draws(fit)["(Intercept)", , ]
  tr <- paste0(fit$curves[[1]]$trait, ".", pars)
  draws <- c(lapply(tr, function(x) B[x, ]), lapply(tr, function(x) sqrt(A[x, x, ])),
             list(sqrt(fit$draws$family[1, ])))
  list(str = vapply(draws, post_str, ""), ess = vapply(draws, function(x) post(x)[["ess"]], 0))
}
nl_table <- function(title, pars, refs, fits) {
  tab <- data.frame(quantity = c(pars, paste0("sd(", pars, ")"), "residual sd"))
  for (nm in names(refs)) tab[[nm]] <- nlme_str(refs[[nm]])
  for (nm in names(fits)) tab[[nm]] <- slam_nl(fits[[nm]], pars)$str
  tab$ess <- round(slam_nl(fits[[1]], pars)$ess)
  md(tab, title)
}
# fitted values: SLAMglmm's plug-in curves (curve_predict at each individual's posterior-mean
# parameters) against nlme's conditional fits
fit_compare <- function(fit, nm, data, time, id, y) {
  pr <- curve_predict(fit, times = sort(unique(data[[time]])))
  f_s <- pr[cbind(match(as.character(data[[id]]), rownames(pr)),
                  match(data[[time]], sort(unique(data[[time]]))))]
  f_n <- stats::fitted(nm)
  cat(sprintf(paste0("fitted values: RMS(SLAMglmm - nlme) = %.3g; RMS residual: SLAMglmm %.3g, ",
                     "nlme %.3g (%d measurements, %d individuals)\n"),
              sqrt(mean((f_s - f_n)^2)), sqrt(mean((data[[y]] - f_s)^2)),
              sqrt(mean(stats::resid(nm)^2)), nrow(data), nlevels(factor(data[[id]]))))
}
logis_pars <- c("Asym", "xmid", "scal")
# refit with the working scales |start| / 20 (the default is |start| / 4) and the weak
# measurement-variance prior of WEAK
nl_weak <- function(formula, data, curve, time, id, fit, pars) {
  st <- stats::setNames(fit$data_scale$center, pars)
  slam_fit(formula, data = data, prior = slam_prior(curves = list(shape = 2, scale = 0.001)),
           family = slam_nonlinear(curve, time = time, id = id, start = st, scale = abs(st) / 20))
}

if ("orange" %in% parts) {
  cat("\n=============== Orange: circumference ~ SSlogis(age), 5 trees ===============\n")
  og <- as.data.frame(Orange)
  og$Tree <- factor(as.character(og$Tree))
  nm <- nlme::nlme(circumference ~ SSlogis(age, Asym, xmid, scal), data = og,
                   fixed = Asym + xmid + scal ~ 1, random = Asym ~ 1 | Tree,
                   start = c(Asym = 170, xmid = 700, scal = 350))
  fam <- slam_nonlinear("logistic", time = ~ age, id = ~ Tree)
  fit <- slam_fit(circumference ~ 1, data = og, family = fam)
  fit_s <- nl_weak(circumference ~ 1, og, "logistic", ~ age, ~ Tree, fit, logis_pars)
  nl_table(paste0("Table C1. Orange (5 trees x 7 ages): nlme (ML, random Asym; approximate 95% ",
                  "intervals) and SLAMglmm (posterior mean [95%]; every parameter varies among ",
                  "trees). SLAMglmm_weak: working scale |start|/20 instead of |start|/4, prior ",
                  "curves = list(scale = 0.001)."),
           logis_pars, list(nlme_randomAsym = nlme_ref(nm, logis_pars)),
           list(SLAMglmm = fit, SLAMglmm_weak = fit_s))
  fit_compare(fit, nm, og, "age", "Tree", "circumference")
}

if ("loblolly" %in% parts) {
  cat("\n=============== Loblolly: height ~ logistic / Gompertz(age), 14 seeds ===============\n")
  lob <- as.data.frame(Loblolly)
  lob$Seed <- factor(as.character(lob$Seed))
  # a random asymptote only: the same maximum likelihood as diagonal random effects of all three
  # parameters (whose sd(xmid), sd(scal) go to 0), and nlme's intervals() then work
  nm <- nlme::nlme(height ~ SSlogis(age, Asym, xmid, scal), data = lob,
                   fixed = Asym + xmid + scal ~ 1, random = Asym ~ 1 | Seed,
                   start = c(Asym = 60, xmid = 12, scal = 5))
  fit <- slam_fit(height ~ 1, data = lob, family = slam_nonlinear("logistic", time = ~ age, id = ~ Seed))
  fit_s <- nl_weak(height ~ 1, lob, "logistic", ~ age, ~ Seed, fit, logis_pars)
  nl_table(paste0("Table C2. Loblolly (14 seeds x 6 ages), logistic: nlme (ML, random Asym; ",
                  "diagonal random effects of all three give the same fit) and SLAMglmm; ",
                  "SLAMglmm_weak as in Table C1."),
           logis_pars, list(nlme_randomAsym = nlme_ref(nm, logis_pars)),
           list(SLAMglmm = fit, SLAMglmm_weak = fit_s))
  fit_compare(fit, nm, lob, "age", "Seed", "height")

  # Gompertz: SLAMglmm Asym exp(-b exp(-c t)); nls' SSgompertz Asym exp(-b2 b3^t): b = b2, c = -log(b3)
  # random Asym and b3: the same maximum likelihood as with b2 random too (its sd goes to 0)
  ng <- nlme::nlme(height ~ SSgompertz(age, Asym, b2, b3), data = lob, fixed = Asym + b2 + b3 ~ 1,
                   random = list(Seed = nlme::pdDiag(Asym + b3 ~ 1)),
                   start = c(Asym = 70, b2 = 4, b3 = 0.87))
  rg <- nlme_ref(ng, c("Asym", "b2", "b3"))
  b3 <- rg["b3", ]
  rg["b3", ] <- -log(unlist(b3[c("est", "upper", "lower")]))  # c = -log(b3), decreasing in b3
  rg["sd(b3)", ] <- rg["sd(b3)", ] / b3$est                     # delta method
  rownames(rg) <- sub("b2", "b", sub("b3", "c", rownames(rg)))
  gpars <- c("Asym", "b", "c")
  fg <- slam_fit(height ~ 1, data = lob, family = slam_nonlinear("gompertz", time = ~ age, id = ~ Seed))
  sg <- fg$data_scale$center
  # the default working scale is |start| / 4 per parameter, as documented (until the fix of the
  # scales of the layouts a floor of 0.01 max|start| gave the rate c a scale five times c itself)
  cat("Gompertz working scales chosen by default:", format(signif(fg$data_scale$scale, 3)),
      " (|start| / 4:", format(signif(abs(sg) / 4, 3)), ")\n")
  stopifnot(isTRUE(all.equal(unname(fg$data_scale$scale), unname(abs(sg) / 4))))
  fgw <- nl_weak(height ~ 1, lob, "gompertz", ~ age, ~ Seed, fg, gpars)
  nl_table(paste0("Table C3. Loblolly, Gompertz: nlme (ML, diagonal random Asym and b3, SSgompertz ",
                  "mapped to c = -log(b3), sd(c) by the delta method) and SLAMglmm (default working ",
                  "scales, |start|/4); SLAMglmm_weak as in Table C1."),
           gpars, list(nlme_pdDiag = rg), list(SLAMglmm = fg, SLAMglmm_weak = fgw))
  fit_compare(fg, ng, lob, "age", "Seed", "height")
}

if ("soybean" %in% parts) {
  cat("\n=============== Soybean: weight ~ SSlogis(Time), 48 plots ===============\n")
  sb <- as.data.frame(nlme::Soybean)
  sb$Plot <- factor(as.character(sb$Plot))
  ctl <- nlme::nlmeControl(returnObject = TRUE)
  ns <- suppressWarnings(nlme::nlme(weight ~ SSlogis(Time, Asym, xmid, scal), data = sb,
                                    fixed = Asym + xmid + scal ~ 1,
                                    random = list(Plot = nlme::pdSymm(Asym + xmid + scal ~ 1)),
                                    start = c(Asym = 17, xmid = 52, scal = 7.5), control = ctl))
  nd <- nlme::nlme(weight ~ SSlogis(Time, Asym, xmid, scal), data = sb,
                   fixed = Asym + xmid + scal ~ 1,
                   random = list(Plot = nlme::pdDiag(Asym + xmid + scal ~ 1)),
                   start = c(Asym = 17, xmid = 52, scal = 7.5))
  fit <- slam_fit(weight ~ 1, data = sb, family = slam_nonlinear("logistic", time = ~ Time, id = ~ Plot))
  fit_s <- nl_weak(weight ~ 1, sb, "logistic", ~ Time, ~ Plot, fit, logis_pars)
  nl_table(paste0("Table C4. Soybean (48 plots, 412 measurements), logistic: nlme (ML) with a ",
                  "general and a diagonal covariance of the random effects (pdSymm: a correlation at the ",
                  "boundary, nlminb's false convergence warning), and SLAMglmm; SLAMglmm_weak as in ",
                  "Table C1."),
           logis_pars, list(nlme_pdSymm = nlme_ref(ns, logis_pars), nlme_pdDiag = nlme_ref(nd, logis_pars)),
           list(SLAMglmm = fit, SLAMglmm_weak = fit_s))
  cr_n <- stats::cov2cor(nlme::pdMatrix(ns$modelStruct$reStruct[[1]]))
  cr_s <- stats::cov2cor(VarCorr(fit)$Residual)
  cat("correlations of (Asym, xmid), (Asym, scal), (xmid, scal): nlme pdSymm",
      format(round(cr_n[lower.tri(cr_n)], 2)), "; SLAMglmm (of the posterior-mean covariance)",
      format(round(cr_s[lower.tri(cr_s)], 2)), "\n")
  fit_compare(fit, ns, sb, "Time", "Plot", "weight")
}

## ---- (d) sparse, irregular measurement times (simulated) ---------------------------------------------

if ("sparse" %in% parts) {
  cat("\n=============== sparse: simulated growth, 3-8 measurements per individual at its own ages ===============\n")
  set.seed(2024)
  n_i <- 600
  k <- sample(3:8, n_i, replace = TRUE)
  d <- data.frame(id = factor(rep(seq_len(n_i), k)))
  d$age <- unlist(lapply(k, function(j) sort(sample(1:100, j))))
  leg <- function(age) { z <- 2 * age / 100 - 1; cbind(1, z, z^2) }
  # covariance of the individuals' quadratic coefficients: G + E of the vignette's lambs
  S_coef <- 0.8 * matrix(c(1, 0.5, -0.1, 0.5, 1, 0.2, -0.1, 0.2, 0.3), 3) + diag(c(1, 0.6, 0.2))
  co <- matrix(stats::rnorm(3 * n_i), n_i) %*% chol(S_coef)
  x <- d$age / 100
  d$weight <- 5 + 20 * x - 6 * x^2 + rowSums(leg(d$age) * co[d$id, ]) + stats::rnorm(nrow(d), sd = 0.5)
  tt <- c(1, 25, 50, 75, 100)
  truth <- diag(leg(tt) %*% S_coef %*% t(leg(tt)))
  rows <- NULL
  scales <- NULL
  for (b in c("bs", "poly")) {
    df <- if (b == "bs") 4 else 3
    fit <- slam_fit(weight ~ 1, data = d, family = slam_curve(time = ~ age, id = ~ id, basis = b, df = df))
    Phi <- basis_at(fit, d$age)
    colnames(Phi) <- paste0("phi", seq_len(df))
    dl <- data.frame(weight = d$weight, id = d$id, Phi)
    f <- stats::as.formula(paste("weight ~ 0 +", paste(colnames(Phi), collapse = " + "), "+ (0 +",
                                 paste(colnames(Phi), collapse = " + "), "| id)"))
    m <- suppressMessages(lme4::lmer(f, data = dl))
    Pt <- basis_at(fit, tt)
    cl <- diag(Pt %*% as.matrix(lme4::VarCorr(m)$id) %*% t(Pt))
    cf <- covariance_function(fit, times = tt, interval = TRUE)$Residual
    rows <- rbind(rows, data.frame(
      basis = paste0(b, ", df = ", df), quantity = c(paste0("C(", tt, ", ", tt, ")"), "measurement variance"),
      truth = fmt(c(truth, 0.25)), lmer_REML = fmt(c(cl, stats::sigma(m)^2)),
      SLAMglmm = c(est_ci(diag(cf), diag(attr(cf, "lower")), diag(attr(cf, "upper"))),
                   est_ci(family_params(fit)$estimate, family_params(fit)$lower,
                          family_params(fit)$upper))))
    # the local residual sd where each basis function lives (the scale rule of dafbd15), for comparison
    r <- d$weight - drop(Phi %*% qr.coef(qr(Phi), d$weight))
    # the true spread of each coefficient: both bases span the quadratics exactly
    M <- qr.coef(qr(Phi), leg(d$age))
    scales <- rbind(scales, data.frame(basis = b, coefficient = seq_len(df),
                                       true_sd = fmt(sqrt(diag(M %*% S_coef %*% t(M))), 3),
                                       prior_scale = fmt(fit$data_scale$scale, 3),
                                       local_residual_sd = fmt(sqrt(colSums(Phi^2 * r^2) / colSums(Phi^2)), 3)))
  }
  md(rows, paste0("Table D1. Simulated growth (600 individuals, 3-8 measurements each at random ages ",
                  "1-100, ", nrow(d), " measurements; quadratic individual curves): variance of the ",
                  "individuals' curves at five ages (without the measurement variance). lmer: REML ",
                  "on the same basis; SLAMglmm: default prior, posterior mean [95%]."))
  md(scales, paste0("Table D2. The prior scale slam_curve() gave each coefficient (fit$data_scale$scale: ",
                    "prior_scale), the sd of the coefficients of the individuals' true curves (true_sd) and the ",
                    "residual sd about the population curve where the basis function lives."))
}

cat(sprintf("\nTotal run time: %.0f s\n", (proc.time() - t_start)[["elapsed"]]))
