# Predictions on the response scale of non-Gaussian traits.
#
# The sampler keeps, for every predicted latent value, the posterior mean m
# and sd s of its linear predictor mu; the trait's own residual e ~ N(0, v)
# (v = psi (1 - sum_m h2_m)) lies between mu and the observation model. Given
# mu, the expected response integrates e out:
#   probit    E(y | mu) = Phi(mu / sqrt(v))
#   ordinal   E(y | mu) = sum_c c P(c | mu), P(c | mu) = Phi((g_c - mu) / sqrt(v)) - Phi((g_{c-1} - mu) / sqrt(v))
#   poisson   E(y | mu) = exp(mu + o + v / 2)             (and the same for negbin)
# Credible intervals of the expected response map the interval of mu through
# E(y | mu), which increases with mu; its posterior mean and sd integrate mu
# ~ N(m, s^2) by Gauss-Hermite quadrature. A new observation's predictive
# distribution mixes the observation model over mu + e ~ N(m, s^2 + v): its
# mean is that of E(y | mu), its variance adds E(Var(y | mu)) (law of total
# variance), and its quantiles come from the mixture's distribution function.

#' Nodes and weights of Gauss-Hermite quadrature for the standard normal
#' (Golub-Welsch: eigenvalues of the Jacobi matrix of the Hermite polynomials)
#' @noRd
slam_gauss_hermite <- function(q = 24L) {
  J <- matrix(0, q, q)
  off <- sqrt(seq_len(q - 1L))
  J[cbind(seq_len(q - 1L), 2:q)] <- off
  J[cbind(2:q, seq_len(q - 1L))] <- off
  e <- eigen(J, symmetric = TRUE)
  list(x = e$values, w = e$vectors[1L, ]^2)
}

#' The observation model of one non-Gaussian trait, as functions of mu
#'
#' @return a list with `mean(mu)` (E(y | mu), e integrated out), `var(mu)`
#'   (Var(y | mu)), `cdf(y, m, sd, gh)` (P(Y <= y) when mu + e ~ N(m, sd^2):
#'   exact for thresholds, by quadrature for counts) and `support(m, sd)` (the
#'   values of y to search for quantiles).
#' @noRd
slam_response_model <- function(family, v, offset = 0, cut = NULL, size = NULL) {
  sv <- sqrt(v)
  switch(family,
    probit = list(
      mean = function(mu) stats::pnorm(mu / sv),
      var = function(mu) {
        p <- stats::pnorm(mu / sv)
        p * (1 - p)
      },
      cdf = function(y, m, sd, gh) if (y < 1) stats::pnorm(-m / sd) else 1,
      support = function(m, sd) 0:1),
    ordinal = {
      g <- c(-Inf, cut, Inf)                    # g_0 = -Inf, g_1 = 0, ..., g_C = Inf
      C <- length(g) - 1L
      probs <- function(mu) {
        P <- vapply(seq_len(C), function(c) stats::pnorm((g[c + 1L] - mu) / sv) - stats::pnorm((g[c] - mu) / sv),
                    numeric(length(mu)))
        matrix(P, length(mu))
      }
      list(
        mean = function(mu) drop(probs(mu) %*% seq_len(C)),
        var = function(mu) {
          P <- probs(mu)
          drop(P %*% seq_len(C)^2) - drop(P %*% seq_len(C))^2
        },
        cdf = function(y, m, sd, gh) stats::pnorm((g[min(y, C) + 1L] - m) / sd),
        support = function(m, sd) seq_len(C))
    },
    poisson = , negbin = {
      r <- if (family == "negbin") size else Inf
      list(
        mean = function(mu) exp(mu + offset + v / 2),
        var = function(mu) {
          l <- exp(mu + offset + v / 2)
          l + l^2 * (exp(v) * (1 + 1 / r) - 1)
        },
        cdf = function(y, m, sd, gh) {
          lam <- exp(m + sd * gh$x + offset)
          sum(gh$w * if (is.finite(r)) stats::pnbinom(y, size = r, mu = lam) else stats::ppois(y, lam))
        },
        support = function(m, sd) {
          lam <- exp(m + c(-6, 6) * sd + offset)
          lo <- if (is.finite(r)) stats::qnbinom(1e-4, size = r, mu = lam[1L]) else stats::qpois(1e-4, lam[1L])
          hi <- if (is.finite(r)) stats::qnbinom(1 - 1e-4, size = r, mu = lam[2L]) else stats::qpois(1 - 1e-4, lam[2L])
          seq.int(lo, hi)
        })
    }
  )
}

#' Response-scale prediction of one trait
#'
#' @param m,s posterior mean and sd of mu (vectors over rows; NA: none).
#' @param model from [slam_response_model()].
#' @param v the trait's residual variance.
#' @param interval "confidence" or "prediction"; `level` their probability.
#' @return list of vectors `fit`, `sd`, `lwr`, `upr`.
#' @noRd
slam_response_predict <- function(m, s, model, v, interval, level, gh = slam_gauss_hermite()) {
  n <- length(m)
  out <- list(fit = rep(NA_real_, n), sd = rep(NA_real_, n), lwr = rep(NA_real_, n), upr = rep(NA_real_, n))
  a <- (1 - level) / 2
  z <- stats::qnorm(1 - a)
  for (i in which(is.finite(m) & is.finite(s))) {
    mu <- m[i] + s[i] * gh$x
    g <- model$mean(mu)
    mean_g <- sum(gh$w * g)
    var_g <- max(0, sum(gh$w * g^2) - mean_g^2)
    out$fit[i] <- mean_g
    if (interval == "confidence") {
      out$sd[i] <- sqrt(var_g)
      out$lwr[i] <- model$mean(m[i] - z * s[i])
      out$upr[i] <- model$mean(m[i] + z * s[i])
    } else {
      out$sd[i] <- sqrt(var_g + sum(gh$w * model$var(mu)))
      tot <- sqrt(s[i]^2 + v)
      ys <- model$support(m[i], tot)
      cdf <- vapply(ys, function(y) model$cdf(y, m[i], tot, gh), 0)
      out$lwr[i] <- ys[which(cdf >= a)[1L]]
      out$upr[i] <- ys[which(cdf >= 1 - a)[1L]]
    }
  }
  out
}

#' Put the latent-scale prediction `pred` (a slam_prediction) of a fit on the
#' response scale: non-Gaussian traits change, the others stay
#' @noRd
slam_predict_response <- function(fit, pred) {
  fam <- slam_families(fit)
  todo <- names(fam)[fam %in% c("probit", "ordinal", "poisson", "negbin")]
  if (!length(todo)) return(pred)
  v <- pred$resid
  fp <- if (any(fam %in% c("ordinal", "negbin"))) slam_draws_of(fit, "family", "Response-scale predictions")
  cuts <- if (any(fam == "ordinal")) slam_cutpoint_draws(fit) else list()
  gh <- slam_gauss_hermite()
  for (tr in todo) {
    # the fit's offsets apply to its own rows (new rows: none)
    off <- if (!is.null(fit$offset) && tr %in% colnames(fit$offset) && nrow(fit$offset) == nrow(pred$fit)) {
      fit$offset[, tr]
    } else {
      0
    }
    off[!is.finite(off)] <- 0
    cut <- if (fam[[tr]] == "ordinal") rowMeans(cuts[[tr]]) else NULL
    size <- if (fam[[tr]] == "negbin") mean(fp[paste0(tr, ":size"), ]) else NULL
    rows <- seq_len(nrow(pred$fit))
    res <- if (length(unique(off)) <= 1L) {
      slam_response_predict(pred$mu[, tr], pred$mu_sd[, tr],
                            slam_response_model(fam[[tr]], v[[tr]], off[1L], cut, size),
                            v[[tr]], pred$interval, pred$level, gh)
    } else {
      # one observation model per row when the offsets differ
      parts <- lapply(rows, function(i) {
        slam_response_predict(pred$mu[i, tr], pred$mu_sd[i, tr],
                              slam_response_model(fam[[tr]], v[[tr]], off[i], cut, size),
                              v[[tr]], pred$interval, pred$level, gh)
      })
      lapply(stats::setNames(nm = c("fit", "sd", "lwr", "upr")), function(el) {
        vapply(parts, function(p) p[[el]], 0)
      })
    }
    for (el in c("fit", "sd", "lwr", "upr")) pred[[el]][, tr] <- res[[el]]
  }
  pred
}
