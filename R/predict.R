# Predictions with intervals, and cross-validation over user folds.
#
# Predicting a trait value that was not observed (an individual known only
# through the relationship matrix, or a trait missing for an individual whose
# other traits were measured) is done the way the model handles any missing
# value: the row is in the data with NA, and the sampler draws its latent
# value from the model at every iteration. The sampler keeps the posterior
# mean and sd of the linear predictor mu = X b + F lambda + sum_m Z_m u_m of
# every trait with a missing value or a non-Gaussian family (fit$mu_mean,
# fit$mu_sd, one column per such trait): mu is the
# expected value (credible intervals), and mu plus the trait's own residual,
# of variance v = psi (1 - sum_m h2_m), is a new observation (prediction
# intervals; by the law of total variance Var(y) = Var(mu) + E(v)).

#' Predictions from a SLAMglmm fit
#'
#' Without `newdata`, predictions for the rows of the data. To predict
#' individuals that have no record (e.g. genotyped but not phenotyped, or
#' relatives in a pedigree) or traits missing for some individuals, put those
#' rows in the data with `NA` for the traits to predict before fitting: the
#' sampler then predicts them from everything the model knows (fixed effects,
#' relatives through the relationship matrices, and the individual's own
#' observed traits through the factors and the genetic and residual
#' covariances). [slam_cv()] does this fold by fold.
#'
#' * `interval = "none"`: the posterior mean of the latent traits H (n x p),
#'   as [fitted.SLAMglmm()]: the data where observed, the prediction where
#'   missing.
#' * `interval = "confidence"`: the expected value `mu` (fixed effects,
#'   factors and all random effects, without the trait's own residual) with a
#'   credible interval.
#' * `interval = "prediction"`: a new observation `mu + e`, with a prediction
#'   interval from `Var(mu) + E(v)`, `v` the trait's residual variance.
#'
#' Intervals are mean +/- z sd from the posterior mean and sd kept by the
#' sampler (a normal approximation to the posterior of `mu`). They are
#' available for traits with at least one missing value or a non-Gaussian
#' family (whose latent values the sampler draws); columns of other traits are
#' NA.
#'
#' `type = "link"` (default) gives the latent scale (liability of probit and
#' ordinal traits, log mean of counts without offset); `type = "response"`
#' the scale of the data: the probability of a 1 for probit traits, the
#' expected class number (1, ..., C) for ordinal traits, the expected count
#' (with the offset) for count traits, i.e. `E(y | mu)` with the trait's
#' residual integrated out. Its credible interval maps that of `mu` through
#' `E(y | mu)`; its prediction interval gives quantiles of a new observation
#' (0/1, classes, counts), whose distribution mixes the observation model over
#' `mu + e`; `fit` and `sd` are the mean and sd over the posterior of `mu`
#' (Gauss-Hermite quadrature). Gaussian traits are the same on both scales.
#'
#' With `newdata`: the expected trait values of the individuals in `newdata`,
#' `X_new %*% fixef(object)` plus, when `random = TRUE`, the posterior-mean
#' genetic values of their levels of each random-effect term (levels not in
#' the fit get 0). With an interval, the sd of `mu` is that of the fixed part
#' over the saved draws of the fixed effects, plus, for a level not in the
#' fit (whose genetic value is unknown), the term's genetic variance
#' `diag(G_m)`; the posterior sd of the genetic values of levels in the fit is
#' not kept and is left out (put such individuals in the data with NA to
#' predict them with their full uncertainty).
#'
#' @param object a fitted `SLAMglmm` object.
#' @param newdata optional data frame with the covariates of the fixed-effect
#'   formula and the grouping factors of the random-effect terms.
#' @param interval `"none"` (default), `"confidence"` or `"prediction"`.
#' @param level probability of the intervals.
#' @param random with `newdata`: include the genetic values (`TRUE`) or
#'   predict from the fixed effects only (`FALSE`).
#' @param type `"link"` (default: the latent scale) or `"response"` (the
#'   scale of the data for probit, ordinal and count traits).
#' @param ... not used.
#' @return With `interval = "none"`, a (rows x traits) matrix. Otherwise a
#'   list of class `"slam_prediction"` with (rows x traits) matrices `fit`,
#'   `sd`, `lwr`, `upr`, and `interval`, `level`, `type`.
#' @examples
#' \donttest{
#' data(slam_pheno, slam_kinship)
#' d <- slam_pheno
#' d$y2[1:30] <- NA                 # y2 to be predicted for 30 animals
#' set.seed(1)
#' fit <- SLAMglmm(cbind(y1, y2) ~ sex + (1 | animal), data = d,
#'                 relmat = list(animal = slam_kinship), n_factors = 1,
#'                 nitt = 1500, burnin = 500, thin = 2, verbose = FALSE)
#' pr <- predict(fit, interval = "prediction")
#' head(cbind(observed = slam_pheno$y2, pr$fit[, "y2"], pr$lwr[, "y2"], pr$upr[, "y2"])[1:30, ])
#' }
#' @method predict SLAMglmm
#' @export
predict.SLAMglmm <- function(object, newdata = NULL, interval = c("none", "confidence", "prediction"),
                             level = 0.95, random = TRUE, type = c("link", "response"), ...) {
  interval <- match.arg(interval)
  type <- match.arg(type)
  if (interval == "none" && type == "link") {
    if (!is.null(newdata)) return(slam_predict_newdata(object, newdata, random))
    return(fitted.SLAMglmm(object))
  }
  check_prob(level)
  mom <- if (is.null(newdata)) slam_latent_moments(object) else slam_newdata_moments(object, newdata, random)
  pred <- slam_latent_intervals(object, mom, if (interval == "none") "confidence" else interval, level)
  if (type == "response") pred <- slam_predict_response(object, pred)
  pred$mu <- pred$mu_sd <- pred$resid <- NULL
  if (interval == "none") return(pred$fit)
  pred$type <- type
  structure(pred, class = "slam_prediction")
}

#' Posterior mean and sd of the linear predictor mu of the rows of the data
#' @noRd
slam_latent_moments <- function(object) {
  if (is.null(object$mu_mean)) {
    slam_stop("this fit keeps no posterior sd of its linear predictor (fitted by an earlier version).",
              arg = "object")
  }
  # the fit keeps columns for the latent traits only; the others are NA here
  traits <- slam_traits(object)
  full <- function(x) {
    out <- matrix(NA_real_, object$n, length(traits), dimnames = list(NULL, traits))
    out[, colnames(x)] <- x
    out
  }
  list(mean = full(object$mu_mean), sd = full(object$mu_sd))
}

#' Latent-scale intervals from the moments of mu: mu itself (confidence) or
#' mu plus the trait's residual (prediction); keeps mu's moments for the
#' response scale
#' @noRd
slam_latent_intervals <- function(object, mom, interval, level) {
  fit <- mom$mean
  sd <- mom$sd
  resid <- if (is.null(mom$resid)) slam_residual_variance(object) else mom$resid
  if (interval == "prediction") sd <- sqrt(sd^2 + rep(resid, each = nrow(sd)))
  z <- stats::qnorm(1 - (1 - level) / 2)
  list(fit = fit, sd = sd, lwr = fit - z * sd, upr = fit + z * sd, interval = interval, level = level,
       mu = mom$mean, mu_sd = mom$sd, resid = resid)
}

#' @export
print.slam_prediction <- function(x, ...) {
  cat("Predictions (", x$interval, " intervals, level ", x$level, ") for ", nrow(x$fit),
      " rows and ", ncol(x$fit), " traits; elements fit, sd, lwr, upr\n", sep = "")
  ok <- colSums(!is.na(x$fit)) > 0
  if (any(!ok)) cat("no intervals for traits observed without error: ",
                    paste(colnames(x$fit)[!ok], collapse = ", "), "\n", sep = "")
  invisible(x)
}

#' Posterior mean of each trait's residual variance v = psi (1 - sum_m h2_m),
#' data scale
#' @noRd
slam_residual_variance <- function(fit) {
  psi <- fit$draws$psi
  M <- length(slam_terms(fit))
  share <- matrix(0, nrow(psi), ncol(psi))
  h2 <- if (M > 0L) slam_draws_of(fit, "h2", "Prediction intervals (the residual variance)")
  for (m in seq_len(M)) share <- share + slam_term_slice(h2, m, M)
  stats::setNames(rowMeans(psi * (1 - share)), slam_traits(fit))
}

#' Predictions for new rows from fixed effects and posterior-mean genetic values
#' @noRd
slam_predict_newdata <- function(object, newdata, random) {
  nd <- slam_newdata_design(object, newdata, random)
  fe <- fixef.SLAMglmm(object, cutpoints = FALSE)
  out <- nd$X %*% fe[nd$fixed, , drop = FALSE]
  for (add in nd$U) out <- out + add
  dimnames(out) <- list(rownames(newdata), slam_traits(object))
  out
}

#' The fixed-effect design of `newdata` and, with `random`, the posterior-mean
#' genetic values of its levels of each term (`U`, rows x traits; 0 for levels
#' not in the fit, which `unseen` marks per term)
#' @noRd
slam_newdata_design <- function(object, newdata, random) {
  if (!is.data.frame(newdata)) slam_stop("`newdata` must be a data frame.", arg = "newdata")
  fixed <- rownames(fixef.SLAMglmm(object, cutpoints = FALSE))
  fixed_form <- lme4::nobars(object$formula)
  rhs <- stats::delete.response(stats::terms(fixed_form))
  # factor levels of the fitted data, when the data can still be found
  xlev <- object$xlevels
  if (is.null(xlev) && !is.null(object$call$data)) {
    env <- environment(object$formula)
    if (is.null(env)) env <- parent.frame()
    dat <- tryCatch(eval(object$call$data, env), error = function(e) NULL)
    if (is.data.frame(dat)) {
      vars <- intersect(all.vars(rhs), names(dat))
      xlev <- lapply(dat[vars], function(v) if (is.factor(v)) levels(v) else if (is.character(v)) sort(unique(v)) else NULL)
      xlev <- xlev[!vapply(xlev, is.null, logical(1))]
    }
  }
  mf <- stats::model.frame(rhs, newdata, na.action = stats::na.pass, xlev = xlev)
  X <- stats::model.matrix(rhs, mf)
  miss <- setdiff(fixed, colnames(X))
  if (length(miss) > 0L) {
    slam_stop("`newdata` does not give the fixed-effect columns ", paste(miss, collapse = ", "),
              " (check the factor levels of the covariates).", arg = "newdata")
  }
  U <- list()
  unseen <- list()
  if (isTRUE(random)) {
    re <- ranef.SLAMglmm(object)
    for (tm in names(re)) {
      if (!tm %in% names(newdata)) {
        slam_stop("`newdata` has no column `", tm, "` for the random-effect term (set random = FALSE ",
                  "to predict from the fixed effects only).", arg = "newdata")
      }
      idx <- match(as.character(newdata[[tm]]), rownames(re[[tm]]))
      add <- re[[tm]][ifelse(is.na(idx), 1L, idx), , drop = FALSE]
      add[is.na(idx), ] <- 0
      U[[tm]] <- add
      unseen[[tm]] <- is.na(idx)
    }
  }
  list(X = X[, fixed, drop = FALSE], fixed = fixed, U = U, unseen = unseen)
}

#' Posterior mean and sd of mu for the rows of `newdata`
#'
#' The fixed part `x' b` is averaged over the saved draws of the fixed
#' effects (its sd is exact); genetic values of levels in the fit enter at
#' their posterior means (their posterior sd is not kept, so the sd leaves it
#' out), and a level not in the fit, whose genetic value is unknown, adds the
#' term's genetic variance `diag(G_m)`. The residual of a new row is all of
#' `diag(R)` (the factors' residuals included, which are not in `mu` here).
#' @noRd
slam_newdata_moments <- function(object, newdata, random) {
  nd <- slam_newdata_design(object, newdata, random)
  A <- slam_fixef_draws(object, "total")
  A <- A[nd$fixed, , , drop = FALSE]
  nT <- dim(A)[3L]
  p <- dim(A)[2L]
  s1 <- s2 <- matrix(0, nrow(nd$X), p)
  for (t in seq_len(nT)) {
    e <- nd$X %*% matrix(A[, , t], length(nd$fixed), p)
    s1 <- s1 + e
    s2 <- s2 + e^2
  }
  mean <- s1 / nT
  var <- pmax(0, s2 / nT - mean^2)
  vc <- VarCorr.SLAMglmm(object)
  if (length(nd$U)) {
    for (tm in names(nd$U)) {
      mean <- mean + nd$U[[tm]]
      var <- var + outer(as.double(nd$unseen[[tm]]), diag(vc[[tm]]))
    }
  }
  dn <- list(rownames(newdata), slam_traits(object))
  mean <- matrix(mean, nrow(nd$X), p, dimnames = dn)
  list(mean = mean, sd = matrix(sqrt(var), nrow(nd$X), p, dimnames = dn),
       resid = stats::setNames(diag(vc[["Residual"]]), slam_traits(object)))
}

#' Cross-validation over user folds
#'
#' For each fold, the traits `traits` of the fold's rows are set to `NA` in the
#' data, the model of `fit` is fitted again (its call, evaluated as
#' [stats::update()] does), and the masked values are predicted by the
#' posterior mean of their expected value (see [predict.SLAMglmm()]). Masking
#' every trait of the fold's individuals predicts new individuals from their
#' relatives (genomic prediction); masking some traits predicts them from the
#' individuals' other, observed traits as well (multi-trait prediction).
#'
#' @param fit a fitted `SLAMglmm` object whose traits are columns of its
#'   `data` (e.g. `cbind(y1, y2) ~ ...`).
#' @param folds the fold of each row of the data (a vector of length `n`, `NA`
#'   for rows never masked), or a list of row indices.
#' @param traits the traits to mask and predict (default: all).
#' @param ... arguments of [SLAMglmm()] to change for the refits (e.g. `nitt`).
#' @return A data frame with one row per fold and trait: `fold`, `trait`, `n`
#'   (masked values that were observed), `accuracy` (the correlation of
#'   predicted and observed values), `bias` (the regression slope of observed
#'   on predicted) and `rmse`; the predictions themselves (`row`, `fold`,
#'   `trait`, `observed`, `predicted`, `sd`) in the attribute `"predictions"`.
#' @examples
#' \donttest{
#' data(slam_pheno, slam_kinship)
#' set.seed(1)
#' fit <- SLAMglmm(cbind(y1, y2) ~ sex + (1 | animal), data = slam_pheno,
#'                 relmat = list(animal = slam_kinship), n_factors = 1,
#'                 nitt = 1000, burnin = 300, thin = 2, verbose = FALSE)
#' folds <- sample(rep(1:3, length.out = nrow(slam_pheno)))
#' slam_cv(fit, folds, traits = "y2")
#' }
#' @export
slam_cv <- function(fit, folds, traits = NULL, ...) {
  if (!inherits(fit, "SLAMglmm")) slam_stop("`fit` must be a SLAMglmm fit.", arg = "fit")
  envir <- parent.frame()
  cl <- fit$call
  if (is.null(cl) || is.null(cl$data)) {
    slam_stop("slam_cv() refits the model from its call, which must have a `data` argument.", arg = "fit")
  }
  data <- eval(cl$data, envir)
  if (!is.data.frame(data) || nrow(data) != fit$n) {
    slam_stop("the data of the fit's call could not be found, or have another number of rows.", arg = "fit")
  }
  all_traits <- slam_traits(fit)
  if (is.null(traits)) traits <- all_traits
  if (!is.character(traits) || !all(traits %in% all_traits) || !all(traits %in% names(data))) {
    slam_stop("`traits` must name traits of the fit that are columns of its data.", arg = "traits")
  }
  if (!is.list(folds)) {
    if (length(folds) != nrow(data)) {
      slam_stop("`folds` must give the fold of each of the ", nrow(data), " rows (or be a list of row ",
                "indices).", arg = "folds")
    }
    f <- as.character(folds)
    ids <- unique(f[!is.na(f)])
    folds <- stats::setNames(lapply(ids, function(x) which(f == x)), ids)
  }
  if (length(folds) < 1L || any(vapply(folds, function(r) length(r) == 0L || any(!r %in% seq_len(nrow(data))), TRUE))) {
    slam_stop("each fold must be a non-empty set of row indices of the data.", arg = "folds")
  }
  if (is.null(names(folds))) names(folds) <- seq_along(folds)
  changes <- list(...)
  results <- list()
  preds <- list()
  for (fname in names(folds)) {
    rows <- folds[[fname]]
    d2 <- data
    for (tr in traits) d2[rows, tr] <- NA
    cl2 <- cl
    cl2$data <- d2
    cl2$verbose <- FALSE
    cl2$checkpoint <- NULL
    cl2$draws <- NULL
    for (nm in names(changes)) cl2[[nm]] <- changes[[nm]]
    refit <- eval(cl2, envir)
    for (tr in traits) {
      obs <- data[rows, tr]
      if (is.factor(obs)) obs <- as.integer(obs)
      pr <- refit$mu_mean[rows, tr]
      ok <- !is.na(obs) & !is.na(pr)
      acc <- if (sum(ok) > 2L && stats::sd(pr[ok]) > 0) stats::cor(pr[ok], obs[ok]) else NA_real_
      slope <- if (sum(ok) > 2L && stats::var(pr[ok]) > 0) stats::cov(pr[ok], obs[ok]) / stats::var(pr[ok]) else NA_real_
      results[[length(results) + 1L]] <- data.frame(fold = fname, trait = tr, n = sum(ok), accuracy = acc,
                                                    bias = slope, rmse = sqrt(mean((pr[ok] - obs[ok])^2)),
                                                    stringsAsFactors = FALSE)
      preds[[length(preds) + 1L]] <- data.frame(row = rows, fold = fname, trait = tr, observed = obs,
                                                predicted = pr, sd = refit$mu_sd[rows, tr],
                                                stringsAsFactors = FALSE)
    }
  }
  out <- do.call(rbind, results)
  attr(out, "predictions") <- do.call(rbind, preds)
  out
}
