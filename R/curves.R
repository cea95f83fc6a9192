# Growth curves and other repeated measurements on a basis of time: the data are long (one row per
# measurement), the model's rows are the individuals, and its traits are the basis coefficients of each
# measured trait. slam_curve() declares the layout; slam_parse_curves() builds the model from it.

#' Repeated measurements on a basis of time (growth curves, random regression)
#'
#' `family = slam_curve(...)` declares that the data are long, one row per
#' measurement of an individual at a time of its own, and that each measured
#' trait (column of the response) follows a curve on a basis of time whose
#' coefficients are the individual's latent traits:
#' \deqn{y_m = \phi(t_m)' h_i + e_m, \qquad e_m \sim N(0, \sigma^2_g),}{y_m = phi(t_m)' h_i + e_m,   e_m ~ N(0, sigma2_g),}
#' for measurement `m` of individual `i` at time `t_m`, with a measurement
#' variance per trait (or per trait and class of `variance`). The factor mixed
#' model then describes the coefficients of every individual: their genetic
#' and residual covariance matrices (`VarCorr()`), heritabilities (`h2()`)
#' and predicted values (`ranef()`, including individuals in the relationship
#' matrix that were never measured). [covariance_function()] turns the
#' covariance matrices of the coefficients into covariances between ages (the
#' output of a random-regression animal model), and [curve_predict()]
#' evaluates each individual's curve at any times. Several measured traits,
#' each on its own curve, share the factors.
#'
#' The model's rows are the individuals (the levels of `id`): fixed covariates
#' and grouping factors of the formula must be constant within an individual
#' (sex, cohort, the animal itself), and act on every coefficient. Individuals
#' are observed at their own times, as many as they have; a missing value of a
#' trait is a measurement that was not made.
#'
#' Scales: the coefficients' origin is the population curve (a least-squares
#' fit of all measurements on the basis), and the priors of [slam_prior()]
#' act on each coefficient standardised by its spread among individuals (a
#' moment estimate from the individuals' own least-squares fits, or, when too
#' few individuals have more measurements than coefficients, the residual sd
#' about the population curve where its basis function lives), so that
#' neither the population trend nor ages where individuals hardly differ
#' distort them. Reported values are on the data scale. Polynomial basis functions are scaled to unit root mean
#' square over the measurements, so every coefficient is on the scale of the
#' trait.
#'
#' @param time a one-sided formula giving the time of each measurement, e.g.
#'   `~ age`, evaluated in the data.
#' @param id a one-sided formula giving the individual of each measurement,
#'   e.g. `~ animal`.
#' @param basis `"bs"` (cubic B-splines of [splines::bs()] with an intercept,
#'   `df - 4` interior knots at quantiles of the times: `df = 4` spans the
#'   cubic polynomials, larger `df` gives local flexibility) or `"poly"` (orthogonal polynomials of
#'   [stats::poly()], scaled to unit root mean square, plus a constant).
#' @param df number of basis functions (coefficients per measured trait; for
#'   `"poly"` the degree is `df - 1`).
#' @param variance `NULL` (one measurement variance per trait) or a one-sided
#'   formula giving a factor of the measurements, e.g.
#'   `~ cut(age, c(0, 30, 60, Inf))`: one variance per trait and level.
#' @return An object of class `c("slam_curve", "slam_family")`.
#' @seealso [covariance_function()], [curve_predict()], [SLAMglmm()]
#' @examples
#' set.seed(1)
#' ind <- data.frame(animal = factor(1:60), sire = factor(rep(1:15, each = 4)))
#' long <- ind[rep(1:60, each = 5), ]
#' long$age <- rep(seq(0, 1, length.out = 5), 60) + runif(300, 0, 0.1)
#' u <- matrix(rnorm(15 * 2, sd = c(0.5, 0.3)), 15, 2, byrow = TRUE)[long$sire, ]
#' long$weight <- 1 + u[, 1] + (2 + u[, 2]) * long$age + rnorm(300, sd = 0.2)
#' fit <- SLAMglmm(weight ~ 1 + (1 | sire), data = long,
#'                 family = slam_curve(time = ~ age, id = ~ animal, basis = "poly", df = 2),
#'                 n_factors = 1, nitt = 1500, burnin = 500, thin = 2, verbose = FALSE)
#' covariance_function(fit, times = c(0, 0.5, 1))$sire
#' @export
slam_curve <- function(time, id, basis = c("bs", "poly"), df = 4, variance = NULL) {
  if (missing(time) || !inherits(time, "formula") || length(time) != 2L) {
    slam_stop("`time` of slam_curve() must be a one-sided formula such as ~ age.", arg = "family")
  }
  if (missing(id) || !inherits(id, "formula") || length(id) != 2L) {
    slam_stop("`id` of slam_curve() must be a one-sided formula such as ~ animal.", arg = "family")
  }
  if (!is.character(basis) || !all(basis %in% c("bs", "poly"))) {
    slam_stop("`basis` of slam_curve() must be \"bs\" or \"poly\".", arg = "family")
  }
  basis <- match.arg(basis)
  df <- check_number(df, "df of slam_curve()", lower = if (basis == "bs") 4 else 1, whole = TRUE)
  if (!is.null(variance) && (!inherits(variance, "formula") || length(variance) != 2L)) {
    slam_stop("`variance` of slam_curve() must be NULL or a one-sided formula giving a factor of the ",
              "measurements.", arg = "family")
  }
  structure(list(family = "curve", link = "identity", offset = NULL, time = time, id = id,
                 basis = basis, df = df, variance = variance,
                 label = paste0("curve on a basis of time (", basis, ", ", df, " functions)")),
            class = c("slam_curve", "slam_family"))
}

#' The basis functions at the given times
#'
#' @param spec the basis: list with `basis`, `df` and the fitted basis object
#'   (`object`, from the data's times).
#' @return A length(t) x df matrix.
#' @noRd
slam_basis_eval <- function(spec, t) {
  if (spec$basis == "bs") {
    B <- stats::predict(spec$object, t)
  } else {
    B <- cbind(1, if (spec$df > 1L) stats::predict(spec$object, t) else NULL)
    # poly()'s columns have unit length over the data; scaled to unit root mean square, a coefficient
    # of 1 moves the curve by about 1, as the intercept's does, whatever the number of measurements
    if (!is.null(spec$rms)) B <- sweep(B, 2L, spec$rms, "/")
  }
  B <- matrix(as.double(B), length(t), spec$df)
  B
}

#' Build the basis from the data's times
#' @noRd
slam_basis_make <- function(basis, df, t) {
  ut <- unique(t)
  if (basis == "bs") {
    if (length(ut) < df) {
      slam_stop("a B-spline basis with df = ", df, " needs at least ", df, " distinct times; the ",
                "data have ", length(ut), ".", arg = "family")
    }
    obj <- splines::bs(t, df = df, intercept = TRUE)
  } else {
    if (length(ut) < df) {
      slam_stop("a polynomial basis with df = ", df, " needs at least ", df, " distinct times; the ",
                "data have ", length(ut), ".", arg = "family")
    }
    obj <- if (df > 1L) stats::poly(t, degree = df - 1L) else NULL
    rms <- c(1, if (df > 1L) sqrt(colMeans(unclass(obj)^2)))
  }
  list(basis = basis, df = as.integer(df), object = obj, range = range(t),
       rms = if (basis == "poly") rms)
}

#' slam_parse_formula() for long data on curves (family slam_curve())
#' @noRd
slam_parse_curves <- function(formula, data, factor_formula, relmat, family, weights, resp, env) {
  if (is.null(data)) slam_stop("slam_curve() needs `data` (one row per measurement).", arg = "data")
  if (!is.null(weights)) {
    slam_stop("`weights` are not available with slam_curve(): the measurement variances are ",
              "estimated.", arg = "weights")
  }
  N <- resp$n
  ev <- function(f, what) {
    v <- tryCatch(eval(f[[2L]], data, environment(f)),
                  error = function(e) slam_stop("could not evaluate `", what, "` of slam_curve(): ",
                                                conditionMessage(e), arg = "family"))
    if (length(v) != N) {
      slam_stop("`", what, "` of slam_curve() has ", length(v), " values but the data have ", N,
                " rows (one per measurement).", arg = "family")
    }
    v
  }
  time <- ev(family$time, "time")
  if (!is.numeric(time) || any(!is.finite(time))) {
    slam_stop("`time` of slam_curve() must be numeric and finite for every measurement.", arg = "family")
  }
  id <- ev(family$id, "id")
  if (anyNA(id)) slam_stop("`id` of slam_curve() has missing values.", arg = "family")
  id <- factor(id, levels = unique(as.character(id)))
  vgroup <- if (is.null(family$variance)) factor(rep("all", N)) else {
    v <- ev(family$variance, "variance")
    if (anyNA(v)) slam_stop("`variance` of slam_curve() has missing values.", arg = "family")
    droplevels(as.factor(v))
  }
  measured <- names(resp$cols)
  bad <- measured[!vapply(resp$cols, is.numeric, TRUE)]
  if (length(bad)) {
    slam_stop("measured trait(s) ", paste0("'", bad, "'", collapse = ", "), " are not numeric.",
              arg = "formula")
  }
  nonlinear <- inherits(family, "slam_nonlinear")
  if (!nonlinear) {
    spec <- slam_basis_make(family$basis, family$df, time)
    Phi <- slam_basis_eval(spec, time)
    K <- spec$df
  } else {
    K <- length(family$parameters)
  }
  ids <- levels(id)
  n <- length(ids)
  row <- as.integer(id)
  first <- match(seq_len(n), row)
  ind <- data[first, , drop = FALSE]
  rownames(ind) <- NULL
  # every variable of the right-hand side must be constant within an individual
  rhs <- one_sided(formula)
  vars <- intersect(all.vars(lme4::subbars(rhs)), names(data))
  for (v in vars) {
    x <- data[[v]]
    same <- tapply(seq_len(N), row, function(r) length(unique(x[r])) <= 1L)
    if (!all(same)) {
      slam_stop("variable '", v, "' varies within an individual (`id` of slam_curve()): covariates and ",
                "grouping factors of the formula act on the curve's coefficients and must be constant ",
                "within each individual.", arg = "formula")
    }
  }
  traits <- character(0)
  stand <- NULL
  curves <- list()
  for (t in seq_along(measured)) {
    y <- as.double(resp$cols[[t]])
    obs <- !is.na(y)
    if (sum(obs) < 2L) slam_stop("measured trait '", measured[t], "' has fewer than 2 values.",
                                 arg = "formula")
    m <- mean(y[obs])
    s <- sd_scaled(y[obs])
    if (!(s > 0)) slam_stop("measured trait '", measured[t], "' is constant.", arg = "formula")
    if (nonlinear) {
      names_t <- paste0(measured[t], ".", family$parameters)
      # a user-written g sees the measurements' rows of the data as its third argument, if it has one
      fun <- if (!is.null(family$fun)) slam_user_curve_call(family$fun, data[obs, , drop = FALSE])
      st <- slam_nonlinear_start(family, time[obs], y[obs], measured[t], fun)
      curves[[t]] <- list(trait = measured[t], coef_traits = names_t, curve = family$curve,
                          fun = fun, g = family$fun, parameters = family$parameters,
                          traits = length(traits) + seq_len(K), row = row[obs], time = time[obs],
                          y = y[obs], group = as.integer(vgroup[obs]), n_groups = nlevels(vgroup),
                          group_levels = levels(vgroup), center = st$center, scale = st$scale,
                          resid_var = st$resid_var,
                          y_scale = 1)
    } else {
      names_t <- paste0(measured[t], ".", seq_len(K))
      curves[[t]] <- c(list(trait = measured[t], coef_traits = names_t, basis = spec,
                            traits = length(traits) + seq_len(K), row = row[obs],
                            group = as.integer(vgroup[obs]), n_groups = nlevels(vgroup),
                            group_levels = levels(vgroup)),
                       slam_curve_standardize(Phi[obs, , drop = FALSE], y[obs], row[obs],
                                              measured[t]))
    }
    traits <- c(traits, names_t)
    per_ind <- tapply(y, row, function(v) if (all(is.na(v))) NA_real_ else mean(v, na.rm = TRUE))
    stand <- cbind(stand, matrix(as.double(per_ind[as.character(seq_len(n))]), n, K))
  }
  colnames(stand) <- traits
  # everything but the response as for Gaussian traits, on the individuals' rows
  stand_in <- stats::as.formula(call("~", quote(.slam_curve_coefs), rhs[[2L]]), env = env)
  ind$.slam_curve_coefs <- stand
  parsed <- slam_parse_formula(stand_in, data = ind, factor_formula = factor_formula,
                               relmat = relmat, family = NULL, weights = NULL)
  parsed$formula <- formula
  parsed$Y <- stand
  rownames(parsed$Y) <- ids
  parsed$family <- stats::setNames(rep(if (nonlinear) "nonlinear" else "curve", length(traits)), traits)
  parsed$n_categories <- stats::setNames(integer(length(traits)), traits)
  parsed$levels <- stats::setNames(vector("list", length(traits)), traits)
  parsed$families <- stats::setNames(rep(list(family), length(traits)), traits)
  if (!nonlinear && !("(Intercept)" %in% colnames(parsed$X))) {
    # without an intercept the coefficients' origin is 0, not the population curve
    curves <- lapply(curves, function(cv) {
      cv$y <- cv$y_raw / cv$y_scale
      cv$center[] <- 0
      cv
    })
  }
  if (nonlinear) parsed$nonlinear <- curves else parsed$curves <- curves
  parsed$curve_ids <- ids
  parsed
}

#' Standardise one curve: the coefficients' origin is the population curve
#' (least squares of all measurements on the basis, `beta`), the measurements
#' are residuals about it over their pooled sd `s` (so the population trend
#' does not inflate the scale), and coefficient k has its own scale `s_k`, its
#' spread among individuals, so that the priors (which expect standardised
#' variances near 1) fit every coefficient alike: the slope of a polynomial
#' as well as a B-spline coefficient at ages where individuals hardly differ.
#' The sampler sees `y_std = (y - Phi beta) / s` and `Phi diag(s_k / s)`.
#'
#' `s_k` is a moment estimate from the individuals measured more than K times:
#' the between-individual variance of their own least-squares coefficients by
#' DerSimonian and Laird's estimator, each individual weighted by the
#' precision `1 / (s_e^2 [(Phi_i' Phi_i)^-1]_kk)` of its coefficient (`s_e^2`
#' pooled within individuals), at least a tenth of the local residual sd
#' below. With fewer than `max(10, 2K)` such individuals it falls back to the
#' residual sd where the basis function lives,
#' `sqrt(sum_m phi_mk^2 r_m^2 / sum_m phi_mk^2)`.
#' @noRd
slam_curve_standardize <- function(Phi, y, row, trait) {
  beta <- qr.coef(qr(Phi), y)
  if (anyNA(beta)) {
    slam_stop("the basis of measured trait '", trait, "' is singular at its measurement times: ",
              "use fewer basis functions (`df` of slam_curve()).", arg = "family")
  }
  r <- as.vector(y - Phi %*% beta)
  s <- sqrt(mean(r^2))
  if (!(s > 0)) slam_stop("measured trait '", trait, "' lies exactly on one curve.", arg = "formula")
  sk <- slam_coef_spread(Phi, r, row)
  if (is.null(sk)) sk <- sqrt(colSums(Phi^2 * r^2) / colSums(Phi^2))
  sk <- pmax(sk, 1e-3 * s)
  list(phi = sweep(Phi, 2L, sk / s, "*"), y = r / s, y_raw = y, center = unname(beta),
       scale = unname(sk), y_scale = s)
}

#' Spread among individuals of each basis coefficient of the residuals `r`
#' (see slam_curve_standardize()); NULL when too few individuals have more
#' measurements than coefficients
#' @noRd
slam_coef_spread <- function(Phi, r, row) {
  K <- ncol(Phi)
  fits <- lapply(split(seq_along(r), row), function(m) {
    if (length(m) <= K) return(NULL)
    q <- qr(Phi[m, , drop = FALSE])
    if (q$rank < K) return(NULL)
    list(coef = qr.coef(q, r[m]), ss = sum(qr.resid(q, r[m])^2), df = length(m) - K,
         v = diag(chol2inv(qr.R(q))))
  })
  fits <- fits[!vapply(fits, is.null, TRUE)]
  if (length(fits) < max(10L, 2L * K)) return(NULL)
  coefs <- do.call(rbind, lapply(fits, `[[`, "coef"))
  s2e <- sum(vapply(fits, `[[`, 0, "ss")) / sum(vapply(fits, `[[`, 0, "df"))
  sampling <- s2e * do.call(rbind, lapply(fits, `[[`, "v"))
  # per coefficient, the between-individual variance by DerSimonian and Laird's moment estimator:
  # individuals weighted by the precision of their own estimate, so that the few whose measurements
  # barely touch a basis function neither inflate nor swamp it. The floor keeps a coefficient whose
  # individuals hardly differ (weight at hatching) on a scale where its fixed effects are not
  # swamped by the shrinkage prior shared with the other coefficients.
  local <- sqrt(colSums(Phi^2 * r^2) / colSums(Phi^2))
  vapply(seq_len(K), function(k) {
    w <- 1 / sampling[, k]
    mu <- sum(w * coefs[, k]) / sum(w)
    Q <- sum(w * (coefs[, k] - mu)^2)
    tau2 <- (Q - (length(w) - 1)) / (sum(w) - sum(w^2) / sum(w))
    sqrt(max(tau2, (0.1 * local[k])^2))
  }, 0)
}

#' The sampler's curves, and the centres and scales of the coefficient traits
#' @noRd
slam_curve_scale <- function(curves) {
  list(sets = lapply(curves, function(cv) {
         list(traits = as.double(cv$traits), row = as.double(cv$row), phi = unname(cv$phi),
              y = cv$y, group = as.double(cv$group), n_groups = as.double(cv$n_groups))
       }),
       center = unlist(lapply(curves, function(cv) stats::setNames(cv$center, cv$coef_traits))),
       scale = unlist(lapply(curves, function(cv) stats::setNames(cv$scale, cv$coef_traits))))
}

#' Covariance functions of a curve model
#'
#' For a fit with [slam_curve()], the covariances between the values of the
#' curve at any two times implied by the covariance matrices of the basis
#' coefficients: `C(t, t') = phi(t)' V phi(t')` for each random-effect term
#' (e.g. the additive genetic covariance function of a random-regression
#' animal model) and the residual of the coefficients, from the posterior
#' means of the coefficient covariance matrices (and per draw for intervals).
#'
#' @param fit a fitted `SLAMglmm` object with curves.
#' @param times the times at which to evaluate.
#' @param trait the measured trait (default: the first).
#' @param interval if `TRUE`, add pointwise posterior intervals (attributes
#'   `lower`, `upper`), which needs the coefficients' covariance per draw (at
#'   most 50 coefficient traits).
#' @param prob the probability of the intervals.
#' @return A named list of `length(times) x length(times)` matrices, one per
#'   random-effect term and `"Residual"`, on the data scale; the heritability
#'   at each time is `diag(C_term) / diag(C_term + ... + C_Residual)`.
#' @seealso [slam_curve()], [curve_predict()]
#' @export
covariance_function <- function(fit, times, trait = NULL, interval = FALSE, prob = 0.95) {
  cv <- slam_fit_curve(fit, trait)
  if (!is.null(cv$curve)) {
    stop("covariance functions are linear in the coefficients: they are for slam_curve() fits; ",
         "for a non-linear curve use VarCorr() on its parameters.", call. = FALSE)
  }
  B <- slam_basis_eval(cv$basis, as.double(times))
  idx <- match(cv$coef_traits, slam_traits(fit))
  comps <- slam_cov_components(fit)
  Lambda <- fit$draws$Lambda
  out <- lapply(comps, function(cc) {
    S <- cov_mean(Lambda, cc$W, cc$D, threads = slam_threads(fit))[idx, idx, drop = FALSE]
    Ct <- B %*% S %*% t(B)
    dimnames(Ct) <- list(format(times), format(times))
    if (isTRUE(interval)) {
      check_prob(prob)
      check_p_for_draws(nrow(fit$draws$psi), "covariance_function intervals")
      A <- cov_draws(Lambda, cc$W, cc$D)
      per <- apply(A, 3L, function(Sd) as.vector(B %*% Sd[idx, idx, drop = FALSE] %*% t(B)))
      ci <- slam_intervals(matrix(per, ncol = dim(A)[3L]), prob)
      attr(Ct, "lower") <- matrix(ci[, 1L], length(times), dimnames = dimnames(Ct))
      attr(Ct, "upper") <- matrix(ci[, 2L], length(times), dimnames = dimnames(Ct))
    }
    Ct
  })
  names(out) <- names(comps)
  out
}

#' Predicted curves of a curve model
#'
#' Posterior means of each individual's curve at any times: `"fitted"` from
#' its latent coefficients (fixed effects, factors, random effects and its own
#' residual: what its measurements say, for the individuals of the data), or
#' `"genetic"` from the genetic values of a random-effect term (for every
#' level of the term, including individuals in the relationship matrix that
#' were never measured), plus the fixed effects with `fixed = TRUE`.
#'
#' @param fit a fitted `SLAMglmm` object with curves.
#' @param times the times at which to evaluate.
#' @param trait the measured trait (default: the first).
#' @param type `"fitted"` or `"genetic"`.
#' @param term for `type = "genetic"`, the random-effect term (default: the
#'   first).
#' @param fixed for `type = "genetic"`, add the population curve of the
#'   intercept (`TRUE`, default) or give the genetic deviation only.
#' @return A matrix: one row per individual (or level), one column per time.
#'   For [slam_nonlinear()] fits the curve is evaluated at the posterior-mean
#'   parameters (a plug-in value, not the posterior mean of the curve).
#' @seealso [slam_curve()], [covariance_function()]
#' @export
curve_predict <- function(fit, times, trait = NULL, type = c("fitted", "genetic"), term = NULL,
                          fixed = TRUE) {
  type <- match.arg(type)
  cv <- slam_fit_curve(fit, trait)
  if (type == "fitted") {
    C <- as.matrix(fit$H_mean)[, cv$coef_traits, drop = FALSE]
    rn <- fit$curve_ids
  } else {
    tm <- slam_terms(fit)[slam_term_index(fit, term)]
    C <- ranef(fit)[[tm]][, cv$coef_traits, drop = FALSE]
    if (isTRUE(fixed) && "(Intercept)" %in% rownames(fixef(fit))) {
      C <- sweep(C, 2L, fixef(fit, cutpoints = FALSE)["(Intercept)", cv$coef_traits], "+")
    }
    rn <- rownames(C)
  }
  if (is.null(cv$curve)) {
    out <- C %*% t(slam_basis_eval(cv$basis, as.double(times)))
  } else {
    # a non-linear curve at the posterior-mean parameters (a plug-in value)
    if (!is.null(cv$g) && length(formals(cv$g)) >= 3L) {
      stop("the curve function of this fit takes the data as a third argument: curve_predict() ",
           "cannot evaluate it at new times; call it yourself with the parameters of ",
           "curve_predict()'s source, `fit$H_mean` or `ranef(fit)`.", call. = FALSE)
    }
    tt <- as.double(times)
    P <- C[rep(seq_len(nrow(C)), each = length(tt)), , drop = FALSE]
    out <- matrix(slam_nonlinear_eval(cv$curve, P, rep(tt, nrow(C)), cv$g, cv$parameters),
                  nrow(C), length(tt), byrow = TRUE)
  }
  dimnames(out) <- list(rn, format(times))
  out
}

#' The curve of a measured trait in a fit
#' @noRd
slam_fit_curve <- function(fit, trait = NULL) {
  if (!inherits(fit, "SLAMglmm")) stop("`fit` must be a SLAMglmm fit.", call. = FALSE)
  cvs <- fit$curves
  if (!length(cvs)) stop("this fit has no curves (family slam_curve()).", call. = FALSE)
  if (is.null(trait)) return(cvs[[1L]])
  i <- match(trait, vapply(cvs, function(c) c$trait, ""))
  if (length(trait) != 1L || is.na(i)) {
    stop("`trait` must be one of: ", paste(vapply(cvs, function(c) c$trait, ""), collapse = ", "),
         ".", call. = FALSE)
  }
  cvs[[i]]
}

#' Known non-linear growth curves of individuals
#'
#' `family = slam_nonlinear(...)` declares long data (one row per
#' measurement) of a response that follows a known non-linear function of
#' time, whose parameters vary among individuals and are the latent traits of
#' the factor mixed model:
#' \deqn{y_m = g(\theta_i, t_m) + e_m, \qquad e_m \sim N(0, \sigma^2),}{y_m = g(theta_i, t_m) + e_m,   e_m ~ N(0, sigma2),}
#' as in a non-linear mixed model (nlme's `nlme()`), with the genetic and
#' residual covariances among the parameters and their heritabilities from
#' the factor model. The built-in curves (evaluated in Rust):
#' * `"logistic"`: `Asym / (1 + exp((xmid - t) / scal))` (nls' `SSlogis`);
#' * `"gompertz"`: `Asym * exp(-b * exp(-c * t))`;
#' * `"exponential"`: `A * exp(r * t)`;
#' * `"micmen"`: `Vm * t / (K + t)` (Michaelis-Menten, nls' `SSmicmen`).
#'
#' Any other form is a function `curve = function(h, t)` written in R: `h` is
#' a matrix with one row per measurement and one column per parameter (named
#' as `start`, which is then required, as `nlme()` needs starting values for
#' models that are not self-starting), `t` the measurements' times, and it
#' must return one finite number per row (vectorise it: it is called for all
#' individuals at once, a few dozen times per iteration, on R's main thread
#' while the sampler waits). A non-finite value at proposed parameters
#' rejects them; an error, or a result of the wrong length or type, stops the
#' run with an error. A function with a third argument, `function(h, t, d)`,
#' also gets the measurements' rows of `data` (for covariates of each
#' measurement: temperature, site, a known offset); [curve_predict()] cannot
#' evaluate such a curve at new times. The built-in forms are evaluated in
#' Rust and are much faster.
#'
#' Each individual's parameters move by elliptical slice sampling (Murray,
#' Adams and MacKay 2010): exact, with no tuning. For a function written in R
#' all individuals' updates advance together, so that each round of the
#' slice search is one call of the function; the chain is the same as the
#' built-in form's would be.
#'
#' The latent traits are the parameters on a working scale,
#' `theta = start + scale * h`, on which the priors of [slam_prior()] act.
#' `start` defaults to a fit of the curve to all measurements pooled
#' ([stats::nls()] with the matching self-starting model), `scale` to a quarter
#' of the absolute start values (1 for a start value of 0); give them when the
#' pooled fit fails or when the parameters vary more than that among
#' individuals. The prior of the measurement variance is scaled by the mean
#' squared residual about the pooled curve at `start`. Reported values
#' (`fixef()`, `ranef()`, `VarCorr()`, `curve_predict()`) are on the natural
#' scale of the parameters.
#'
#' @param curve one of `"logistic"`, `"gompertz"`, `"exponential"`,
#'   `"micmen"`, or a function `function(h, t)` or `function(h, t, d)` (see
#'   Details).
#' @param time,id,variance as in [slam_curve()].
#' @param start named numeric vector of typical parameter values (optional
#'   for the built-in curves; required for a function, whose parameters it
#'   names).
#' @param scale optional named numeric vector of positive working scales.
#' @return An object of class `c("slam_nonlinear", "slam_family")`.
#' @seealso [slam_curve()], [curve_predict()]
#' @examples
#' set.seed(2)
#' ind <- data.frame(tree = factor(1:40), clone = factor(rep(1:10, each = 4)))
#' long <- ind[rep(1:40, each = 6), ]
#' long$age <- rep(c(1, 3, 5, 7, 9, 11), 40)
#' asym <- 20 + rnorm(10, sd = 2)[long$clone] + rnorm(240, sd = 1)
#' long$height <- asym / (1 + exp((6 - long$age) / 1.5)) + rnorm(240, sd = 0.5)
#' fit <- SLAMglmm(height ~ 1 + (1 | clone), data = long,
#'                 family = slam_nonlinear("logistic", time = ~ age, id = ~ tree),
#'                 n_factors = 1, nitt = 1500, burnin = 500, thin = 2, verbose = FALSE)
#' fixef(fit)
#' @export
slam_nonlinear <- function(curve = c("logistic", "gompertz", "exponential", "micmen"), time, id,
                           start = NULL, scale = NULL, variance = NULL) {
  fun <- NULL
  if (is.function(curve)) {
    if (length(formals(curve)) < 2L) {
      slam_stop("`curve` of slam_nonlinear() must be a function of two arguments, the parameters `h` ",
                "(one row per measurement) and the times `t`.", arg = "family")
    }
    if (!is.numeric(start) || is.null(names(start)) || any(!nzchar(names(start))) ||
        anyDuplicated(names(start)) || any(!is.finite(start))) {
      slam_stop("`start` of slam_nonlinear() must be a named numeric vector of finite values, one per ",
                "parameter of the curve function (the names name the parameters).", arg = "family")
    }
    fun <- curve
    curve <- "user"
  } else if (!is.character(curve) || !all(curve %in% c("logistic", "gompertz", "exponential", "micmen"))) {
    slam_stop("`curve` of slam_nonlinear() must be one of \"logistic\", \"gompertz\", ",
              "\"exponential\", \"micmen\".", arg = "family")
  }
  if (is.null(fun)) curve <- match.arg(curve)
  base <- slam_curve(time = time, id = id, basis = "poly", df = 1, variance = variance)
  pars <- switch(curve, logistic = c("Asym", "xmid", "scal"), gompertz = c("Asym", "b", "c"),
                 exponential = c("A", "r"), micmen = c("Vm", "K"), user = names(start))
  for (nm in c("start", "scale")) {
    v <- get(nm)
    if (!is.null(v) && (!is.numeric(v) || is.null(names(v)) || !setequal(names(v), pars) ||
                        any(!is.finite(v)) || (nm == "scale" && any(v <= 0)))) {
      slam_stop("`", nm, "` of slam_nonlinear() must be a named numeric vector with the parameters ",
                paste(pars, collapse = ", "), if (nm == "scale") " (positive)" else "", ".",
                arg = "family")
    }
  }
  structure(list(family = "nonlinear", link = "identity", offset = NULL, time = base$time,
                 id = base$id, variance = base$variance, curve = curve, fun = fun,
                 parameters = pars, start = if (is.null(start)) NULL else start[pars],
                 scale = if (is.null(scale)) NULL else scale[pars],
                 label = if (is.null(fun)) paste0("non-linear ", curve, " curve")
                         else "non-linear user-written curve"),
            class = c("slam_nonlinear", "slam_curve", "slam_family"))
}

#' Evaluate a curve on the natural scale: parameters `par` (one row per time,
#' or one row for all), times `t`; `fun` is the user-written function when
#' `curve` is "user"
#' @noRd
slam_nonlinear_eval <- function(curve, par, t, fun = NULL, parameters = NULL) {
  par <- matrix(par, ncol = if (is.null(parameters)) switch(curve, logistic = 3L, gompertz = 3L, 2L)
                           else length(parameters))
  if (curve == "user") {
    par <- par[rep_len(seq_len(nrow(par)), length(t)), , drop = FALSE]
    colnames(par) <- parameters
    return(fun(par, t))
  }
  switch(curve,
         logistic = par[, 1] / (1 + exp((par[, 2] - t) / par[, 3])),
         gompertz = par[, 1] * exp(-par[, 2] * exp(-par[, 3] * t)),
         exponential = par[, 1] * exp(par[, 2] * t),
         micmen = par[, 1] * t / (par[, 2] + t))
}

#' Start values and working scales of a non-linear curve
#' @noRd
slam_nonlinear_start <- function(family, t, y, trait, fun = NULL) {
  st <- family$start
  if (family$curve == "user") slam_check_user_curve(family, fun, t, trait)
  if (is.null(st)) {
    d <- data.frame(t = t, y = y)
    fitc <- tryCatch(switch(family$curve,
      logistic = stats::coef(stats::nls(y ~ SSlogis(t, Asym, xmid, scal), data = d)),
      gompertz = {
        cf <- stats::coef(stats::nls(y ~ SSgompertz(t, Asym, b2, b3), data = d))
        c(cf[["Asym"]], cf[["b2"]], -log(cf[["b3"]]))
      },
      micmen = stats::coef(stats::nls(y ~ SSmicmen(t, Vm, K), data = d)),
      exponential = {
        pos <- y > 0
        l <- stats::coef(stats::lm(log(y[pos]) ~ t[pos]))
        stats::coef(stats::nls(y ~ A * exp(r * t), data = d,
                               start = list(A = exp(l[[1L]]), r = l[[2L]])))
      }), error = function(e) NULL)
    if (is.null(fitc) || any(!is.finite(fitc))) {
      slam_stop("could not fit the ", family$curve, " curve to the pooled measurements of trait '",
                trait, "' for start values: give `start` to slam_nonlinear().", arg = "family")
    }
    st <- stats::setNames(as.double(fitc), family$parameters)
  }
  sc <- family$scale
  if (is.null(sc)) {
    # each parameter in its own units; a start value of 0 gives no scale, so 1 is used
    sc <- abs(st) / 4
    sc[!(sc > 1e-8 * max(abs(st)))] <- 1
    names(sc) <- family$parameters
  }
  # the measurements' variance about the pooled curve sets the scale of their variance's prior
  g0 <- if (family$curve == "user") {
    fun(matrix(st, length(t), length(st), byrow = TRUE, dimnames = list(NULL, family$parameters)),
        t, seq_along(t))
  } else {
    slam_nonlinear_eval(family$curve, st, t)
  }
  resid_var <- mean((y - g0)^2)
  if (!is.finite(resid_var) || !(resid_var > 0)) resid_var <- stats::var(y)
  list(center = unname(st), scale = unname(sc), resid_var = resid_var)
}

#' A user-written curve must give one finite number per measurement at the
#' start values: checked in R, before any Rust runs
#' @noRd
slam_check_user_curve <- function(family, fun, t, trait) {
  h <- matrix(family$start, length(t), length(family$start), byrow = TRUE,
              dimnames = list(NULL, family$parameters))
  g <- tryCatch(fun(h, t, seq_along(t)), error = function(e) e)
  what <- if (inherits(g, "error")) paste0("failed: ", conditionMessage(g))
          else if (!is.numeric(g)) paste0("returned an object of class '", class(g)[1L], "', not numbers")
          else if (length(g) != length(t)) paste0("returned ", length(g), " values for ", length(t),
                                                 " measurements")
          else if (any(!is.finite(g))) paste0("returned ", sum(!is.finite(g)), " missing or ",
                                             "infinite values")
  if (!is.null(what)) {
    slam_stop("the curve function (`curve` of slam_nonlinear()) of trait '", trait, "' evaluated at ",
              "`start` for all measurements ", what, ": it must return one finite number per row of ",
              "`h`.", arg = "family")
  }
  invisible(TRUE)
}

#' The function the sampler calls, `function(h, t, m)` with `m` the indices of
#' the measurements (rows of `d`): the user's `g(h, t)`, or `g(h, t, d[m, ])`
#' when g takes the data as a third argument
#' @noRd
slam_user_curve_call <- function(g, d) {
  force(g)
  force(d)
  if (length(formals(g)) >= 3L) function(h, t, m) g(h, t, d[m, , drop = FALSE])
  else function(h, t, m) g(h, t)
}
