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
#' @param time a one-sided formula giving the time of each measurement, e.g.
#'   `~ age`, evaluated in the data.
#' @param id a one-sided formula giving the individual of each measurement,
#'   e.g. `~ animal`.
#' @param basis `"bs"` (B-splines of [splines::bs()] with an intercept, cubic,
#'   knots at quantiles of the times) or `"poly"` (orthogonal polynomials of
#'   [stats::poly()] plus a constant).
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
  }
  list(basis = basis, df = as.integer(df), object = obj, range = range(t))
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
  spec <- slam_basis_make(family$basis, family$df, time)
  Phi <- slam_basis_eval(spec, time)
  K <- spec$df
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
    names_t <- paste0(measured[t], ".", seq_len(K))
    # coefficients of the constant function, to move the trait's mean onto them
    const <- qr.solve(Phi[obs, , drop = FALSE], rep(1, sum(obs)))
    curves[[t]] <- list(trait = measured[t], coef_traits = names_t, basis = spec,
                        traits = length(traits) + seq_len(K), row = row[obs],
                        phi = Phi[obs, , drop = FALSE], y = (y[obs] - m) / s,
                        group = as.integer(vgroup[obs]), n_groups = nlevels(vgroup),
                        group_levels = levels(vgroup), center = m * const, scale = rep(s, K))
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
  parsed$family <- stats::setNames(rep("curve", length(traits)), traits)
  parsed$n_categories <- stats::setNames(integer(length(traits)), traits)
  parsed$levels <- stats::setNames(vector("list", length(traits)), traits)
  parsed$families <- stats::setNames(rep(list(family), length(traits)), traits)
  parsed$curves <- curves
  parsed$curve_ids <- ids
  parsed
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
#' @seealso [slam_curve()], [covariance_function()]
#' @export
curve_predict <- function(fit, times, trait = NULL, type = c("fitted", "genetic"), term = NULL,
                          fixed = TRUE) {
  type <- match.arg(type)
  cv <- slam_fit_curve(fit, trait)
  B <- slam_basis_eval(cv$basis, as.double(times))
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
  out <- C %*% t(B)
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
