# What the observation models add to a fit: the scale each trait's variance
# components live on, the families' own parameters (cut-points, sizes), and
# the observed-scale heritability of binary traits.

#' Family of each trait of a fit (named character; "gaussian" for old fits)
#' @noRd
slam_families <- function(fit) {
  traits <- slam_traits(fit)
  f <- fit$family
  if (is.null(f)) f <- rep("gaussian", length(traits))
  stats::setNames(as.character(f), traits)
}

#' The scale of each trait's latent layer: "data" (Gaussian), "liability"
#' (probit, ordinal) or "log" (counts)
#' @noRd
slam_latent_scale <- function(fit) {
  f <- slam_families(fit)
  s <- ifelse(f %in% c("probit", "ordinal"), "liability",
              ifelse(f %in% c("negbin", "poisson"), "log", "data"))
  # genes measured by probes are on the probes' data scale
  stats::setNames(s, names(f))
}

#' One line describing the families of a fit, or NULL when all are Gaussian
#' @noRd
slam_family_line <- function(fit) {
  f <- slam_families(fit)
  if (all(f == "gaussian")) return(NULL)
  lab <- c(gaussian = "gaussian", probit = "probit (liability scale)",
           ordinal = "ordinal probit (liability scale)",
           negbin = "negative binomial (log scale)", poisson = "Poisson-lognormal (log scale)",
           probes = "genes measured by probes", curve = "coefficients of curves",
           nonlinear = "parameters of non-linear curves")
  tab <- table(factor(f, levels = names(lab)))
  tab <- tab[tab > 0]
  paste0("families: ", paste0(tab, " ", lab[names(tab)], collapse = ", "))
}

#' Parameters of the observation models of a SLAMglmm fit
#'
#' Posterior summaries of the families' own parameters: the free cut-points
#' of ordinal traits (the first cut-point is fixed at 0; on the liability
#' scale, where the trait's residual variance given the random effects is
#' `1 - sum(h2)` of a unit trait-specific variance) and the size `r` of
#' negative binomial traits (`Var(y) = mu + mu^2 / r`, given the latent
#' trait). With the acceptance rate of the Metropolis-Hastings step that moves
#' them (cut-points, sizes) or the latent counts (Poisson traits), after
#' burn-in.
#'
#' @param fit a fitted `SLAMglmm` object.
#' @param prob probability mass of the intervals.
#' @param method `"quantile"` (equal-tailed) or `"hpd"` intervals.
#' @return A data frame with columns `parameter` (e.g. `"culm:2|3"`,
#'   `"gene1:size"`), `trait`, `type` (`"cutpoint"` or `"size"`), `estimate`
#'   (posterior mean), `lower`, `upper`, `ess` and `acceptance`; no rows when
#'   the fit has no such parameter.
#' @seealso [SLAMglmm()] (section Observation models), [fixef.SLAMglmm()]
#' @examples
#' set.seed(1)
#' d <- data.frame(g = factor(rep(1:40, each = 5)))
#' u <- rnorm(40)[d$g]
#' d$score <- cut(u + rnorm(200), c(-Inf, -0.5, 0.7, Inf), labels = c("low", "mid", "high"),
#'                ordered_result = TRUE)
#' fit <- SLAMglmm(score ~ 1 + (1 | g), data = d, family = "ordinal", n_factors = 0,
#'                 nitt = 1500, burnin = 500, thin = 2, verbose = FALSE)
#' family_params(fit)
#' @export
family_params <- function(fit, prob = 0.95, method = c("quantile", "hpd")) {
  if (!inherits(fit, "SLAMglmm")) stop("`fit` must be a SLAMglmm fit.", call. = FALSE)
  method <- match.arg(method)
  check_prob(prob)
  x <- slam_draws_of(fit, "family", "family_params()")
  empty <- data.frame(parameter = character(0), trait = character(0), type = character(0),
                      estimate = numeric(0), lower = numeric(0), upper = numeric(0),
                      ess = numeric(0), acceptance = numeric(0), stringsAsFactors = FALSE)
  if (is.null(x) || nrow(x) == 0L) return(empty)
  nm <- rownames(x)
  trait <- sub(":[^:]*$", "", nm)
  type <- ifelse(grepl(":size$", nm), "size", ifelse(grepl(":sigma2\\[", nm), "variance", "cutpoint"))
  ci <- slam_intervals(x, prob, method)
  acc <- fit$acceptance
  data.frame(parameter = nm, trait = trait, type = type, estimate = rowMeans(x),
             lower = ci[, 1L], upper = ci[, 2L], ess = apply(x, 1L, slam_ess),
             acceptance = if (is.null(acc)) NA_real_ else unname(acc[trait]),
             stringsAsFactors = FALSE, row.names = NULL)
}

#' Draws (ordinal traits x cut-points x T) of the cut-points, as a list per
#' ordinal trait of a (C - 1) x T matrix whose first row is the fixed 0
#' @noRd
slam_cutpoint_draws <- function(fit) {
  f <- slam_families(fit)
  ord <- names(f)[f == "ordinal"]
  x <- if (length(ord)) slam_draws_of(fit, "family", "Cut-points of ordinal traits") else NULL
  nT <- slam_n_draws(fit)
  out <- lapply(ord, function(tr) {
    rows <- x[startsWith(rownames(x), paste0(tr, ":")), , drop = FALSE]
    lev <- fit$class_levels[[tr]]
    C <- length(lev)
    m <- rbind(matrix(0, 1L, nT), matrix(as.double(rows), nrow(rows), nT))
    rownames(m) <- paste0(lev[-C], "|", lev[-1L])
    m
  })
  stats::setNames(out, ord)
}

#' Dempster-Lerner observed-scale heritability of binary traits, per draw
#'
#' `h2_obs = h2_liab phi(t)^2 / (K (1 - K))`, with K the observed prevalence of
#' the trait and `t = qnorm(1 - K)` its threshold on the standardised
#' liability (Dempster and Lerner 1950).
#' @noRd
slam_h2_observed <- function(fit, x, traits) {
  f <- slam_families(fit)
  out <- x
  out[] <- NA_real_
  for (tr in traits[f[traits] == "probit"]) {
    y <- fit$Y[, tr]
    K <- mean(y[!is.na(y)])
    t <- stats::qnorm(1 - K)
    out[tr, ] <- x[tr, ] * stats::dnorm(t)^2 / (K * (1 - K))
  }
  out
}
