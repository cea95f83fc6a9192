# Variance proportions (heritabilities) per trait.

#' Variance proportions (heritabilities) of a fitted model
#'
#' `h2()` summarises, per trait and random-effect term, the proportion of the
#' phenotypic variance due to that term.
#'
#' Two quantities are available:
#' * `"total"` (default): \eqn{h^2 = G_{jj} / P_{jj}}{h2 = diag(G) / diag(P)}, the
#'   usual (narrow-sense, with a kinship matrix) heritability of trait j,
#'   counting the genetic variance carried by the factors and the trait-specific
#'   part;
#' * `"specific"`: the proportion of the trait-specific variance
#'   \eqn{\psi_j}{psi_j} (the variance not explained by the factors) due to the
#'   term, the parameter that the sampler draws on its grid;
#' * `"observed"`: for binary (probit) traits, the total heritability moved
#'   from the liability scale to the observed 0/1 scale (Dempster and Lerner
#'   1950): `h2_obs = h2 dnorm(t)^2 / (K (1 - K))`, with `K` the observed
#'   prevalence and `t = qnorm(1 - K)`; `NA` for other traits.
#'
#' The variance components of probit and ordinal traits are on the liability
#' scale, those of count traits on the log scale of their mean (column
#' `scale`); Gaussian traits are on the data scale.
#'
#' The estimate is the posterior mean; the interval is an equal-tailed
#' (`method = "quantile"`, default) or highest-posterior-density
#' (`method = "hpd"`) posterior interval. The effective sample size (`ess`) of
#' each chain is computed with Geyer's initial positive sequence estimator
#' ([slam_ess()]).
#'
#' @param object a fitted model.
#' @param ... passed to methods.
#' @return A data frame with columns `trait`, `term`, `type`, `scale`
#'   (`"data"`, `"liability"` or `"log"`, see above), `estimate`, `lower`,
#'   `upper`, `ess`; attributes `prob` and `method`.
#' @seealso [VarCorr.SLAMglmm()], [slam_draws()]
#' @examples
#' \donttest{
#' data(slam_pheno, slam_kinship)
#' fit <- SLAMglmm(cbind(y1, y2, y3) ~ sex + (1 | animal), data = slam_pheno,
#'                 relmat = list(animal = slam_kinship), n_factors = 2,
#'                 nitt = 600, burnin = 200, thin = 2, verbose = FALSE)
#' h2(fit)
#' h2(fit, type = "both", method = "hpd")
#' }
#' @export
h2 <- function(object, ...) {
  UseMethod("h2")
}

#' @rdname h2
#' @param type `"total"`, `"specific"`, `"both"` (total and specific) or
#'   `"observed"`.
#' @param prob probability mass of the intervals.
#' @param method `"quantile"` (equal-tailed) or `"hpd"` intervals.
#' @method h2 SLAMglmm
#' @export
h2.SLAMglmm <- function(object, type = c("total", "specific", "both", "observed"), prob = 0.95,
                        method = c("quantile", "hpd"), ...) {
  type <- match.arg(type)
  method <- match.arg(method)
  check_prob(prob)
  types <- if (type == "both") c("total", "specific") else type
  tms <- slam_terms(object)
  traits <- slam_traits(object)
  scale <- slam_latent_scale(object)
  rows <- list()
  for (m in seq_along(tms)) {
    for (ty in types) {
      x <- if (ty == "observed") {
        slam_h2_observed(object, slam_h2_draws(object, m, "total"), traits)
      } else {
        slam_h2_draws(object, m, ty)
      }
      ci <- slam_intervals(x, prob, method)
      rows[[length(rows) + 1L]] <- data.frame(
        trait = traits, term = tms[m], type = ty,
        scale = if (ty == "observed") ifelse(scale == "liability", "observed", NA) else unname(scale),
        estimate = rowMeans(x), lower = ci[, 1L], upper = ci[, 2L],
        ess = apply(x, 1L, function(v) if (all(is.na(v))) NA_real_ else slam_ess(v)),
        stringsAsFactors = FALSE)
    }
  }
  out <- if (length(rows)) {
    do.call(rbind, rows)
  } else {
    data.frame(trait = character(0), term = character(0), type = character(0),
               scale = character(0), estimate = numeric(0), lower = numeric(0),
               upper = numeric(0), ess = numeric(0), stringsAsFactors = FALSE)
  }
  rownames(out) <- NULL
  attr(out, "prob") <- prob
  attr(out, "method") <- method
  out
}

#' Draws (p x T) of a variance proportion for term m
#'
#' `h2_total` is taken from the fit when it is there, and otherwise recomputed
#' as diag(G_m) / diag(P) per draw (which needs only the diagonals).
#' @noRd
slam_h2_draws <- function(fit, m = 1L, type = c("total", "specific")) {
  type <- match.arg(type)
  M <- length(slam_terms(fit))
  traits <- slam_traits(fit)
  x <- if (type == "specific") {
    slam_term_slice(slam_draws_of(fit, "h2", "Trait-specific variance proportions"), m, M)
  } else if (!is.null(fit$draws$h2_total)) {
    slam_term_slice(fit$draws$h2_total, m, M)
  } else {
    slam_h2_total_from_draws(fit, m)
  }
  x <- matrix(as.double(x), length(traits), slam_n_draws(fit))
  rownames(x) <- traits
  x
}

#' diag(G_m) / diag(P) per draw, from Lambda, h2F, h2 and psi
#' @noRd
slam_h2_total_from_draws <- function(fit, m = 1L) {
  for (nm in c("Lambda", "h2", "h2F")) slam_draws_of(fit, nm, "Variance proportions (h2_total was not saved)")
  dr <- fit$draws
  M <- length(slam_terms(fit))
  k <- slam_n_factors(fit)
  psi <- dr$psi
  p <- nrow(psi)
  nT <- ncol(psi)
  h2m <- slam_term_slice(dr$h2, m, M)
  gdiag <- h2m * psi
  pdiag <- psi
  if (k > 0L) {
    h2Fm <- matrix(as.double(slam_term_slice(dr$h2F, m, M)), k, nT)
    L2 <- dr$Lambda^2
    for (t in seq_len(nT)) {
      L2t <- matrix(L2[, , t], p, k)
      gdiag[, t] <- gdiag[, t] + L2t %*% h2Fm[, t]
      pdiag[, t] <- pdiag[, t] + rowSums(L2t)
    }
  }
  gdiag / pdiag
}
