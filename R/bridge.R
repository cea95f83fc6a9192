# The bridge to the Rust sampler (see src/rust/README.md for the contract):
# slam_build_input() turns the user's arguments into the input list of
# slam_sample_rust() plus what R needs afterwards; slam_assemble_fit() turns
# the raw (standardised-scale) output into a "SLAMglmm" fit on the data scale.

#' Build the input of the Rust sampler
#'
#' Checks every argument, parses the formula, standardises the traits, builds
#' the grid and draws the seed. Nothing here calls Rust.
#'
#' @inheritParams SLAMglmm
#' @return A list with `input` (the named list of the bridge contract) and
#'   `info` (what [slam_assemble_fit()] needs).
#' @noRd
slam_build_input <- function(formula, data = NULL, relmat = list(), factor_formula = NULL,
                             n_factors = NULL, prior = slam_prior(), nitt = 6000, burnin = 1000,
                             thin = 5, threads = NULL, verbose = TRUE, grid_route = "auto",
                             memory_mb = 1024, adapt = NULL, max_factors = NULL,
                             adapt_epsilon = 0.15, family = NULL, weights = NULL, chains = 1L,
                             save_draws = NULL, collapse_factors = NULL) {
  # scalar arguments first: cheap, and before any work on the data
  k <- if (is.null(n_factors)) NULL else check_n_factors(n_factors)
  mcmc <- check_mcmc(nitt, burnin, thin)
  threads <- check_threads(threads)
  verbose <- check_flag(verbose, "verbose")
  if (!is.null(adapt)) adapt <- check_flag(adapt, "adapt")
  grid_route <- check_grid_route(grid_route)
  memory_mb <- check_number(memory_mb, "memory_mb", lower = 1, whole = TRUE)
  adapt_epsilon <- check_number(adapt_epsilon, "adapt_epsilon", lower = 0, strict = TRUE)
  save_draws <- check_save_draws(save_draws)
  prior <- as_slam_prior(prior)

  parsed <- slam_parse_formula(formula, data = data, factor_formula = factor_formula,
                               relmat = relmat, family = family, weights = weights)
  obs <- slam_sampler_scale(parsed)
  p <- ncol(parsed$Y)
  # few traits: enough factors, kept, for an unstructured covariance of every term that acts on the
  # factors (see slam_few_traits)
  n_factor_terms <- length(parsed$factor_terms)
  few <- is.null(k) && p <= slam_few_traits
  if (is.null(k)) k <- if (few) as.integer((n_factor_terms + 1L) * p) else as.integer(min(10L, p))
  if (is.null(adapt)) adapt <- !few
  # ... and the traits' own shares of those terms 0, unless the user set their grid prior
  w <- prior$h2$trait
  if (few && n_factor_terms > 0L && is.numeric(w) && max(abs(w - w[1L])) < 1e-12) {
    prior$h2$trait <- slam_few_traits_trait_prior(parsed$factor_terms)
  }
  k_max <- check_max_factors(max_factors, k, p)
  collapse <- if (is.null(collapse_factors)) p <= slam_collapse_max_traits else
    check_flag(collapse_factors, "collapse_factors")
  # n_factors = 0 asks for independent univariate models: nothing to adapt
  adapt_on <- adapt && k > 0L

  term_names <- names(parsed$terms)
  if (is.null(term_names)) term_names <- character(0)
  M <- length(term_names)
  prior <- slam_prior_for_terms(prior, term_names, parsed$factor_terms)
  grid <- prior$h2_grid
  grid_rust <- if (M == 0L) matrix(0, 1L, 0L) else unname(as_double_matrix(grid))
  n_levels <- vapply(parsed$terms, function(t) length(t$levels), 1L)
  # the sampler integrates the largest term out by a rotation; the others need the cached
  # factorisations whose memory is estimated here
  r_extra <- if (M >= 2L) sum(n_levels) - max(n_levels) else 0L
  route <- slam_grid_route_info(grid_route, nrow(as.matrix(grid)), M, r_extra, memory_mb)
  if (verbose && M >= 2L) message(route$text)

  seeds <- slam_chain_seeds(chains)
  seed <- seeds[[1L]]

  input <- list(
    Y = as_double_matrix(obs$Y),
    X = as_double_matrix(parsed$X),
    penalized = as.logical(parsed$penalized),
    XF = as_double_matrix(parsed$XF),
    terms = unname(lapply(parsed$terms, function(t) {
      list(Z = as_double_matrix(t$Z), K = if (is.null(t$K)) NULL else as_double_matrix(t$K))
    })),
    family = slam_rust_families(parsed),
    n_categories = unname(as.integer(parsed$n_categories)),
    weights = obs$weights,
    offset = obs$offset,
    probes = obs$probes,
    curves = obs$curves,
    nonlinear = slam_nonlinear_prior(obs$nonlinear, parsed$nonlinear, prior),
    k = as.integer(k),
    h2_grid = grid_rust,
    h2_prior = as.double(prior$h2$trait),
    h2F_prior = as.double(prior$h2$factor),
    psi_V = as.double(prior$R$V),
    psi_nu = as.double(prior$R$nu),
    lambda_nu = as.double(prior$Lambda$nu),
    a1 = as.double(prior$Lambda$a1),
    a2 = as.double(prior$Lambda$a2),
    delta_min = as.double(prior$Lambda$delta_min),
    b_shape = as.double(prior$B$shape),
    b_scale = as.double(prior$B$scale),
    negbin_shape = as.double(prior$negbin$shape),
    negbin_rate = as.double(prior$negbin$rate),
    probe_shape = as.double(prior$probes$shape),
    probe_rate = as.double(prior$probes$rate),
    curve_shape = as.double(prior$curves$shape),
    curve_scale = as.double(prior$curves$scale),
    nitt = as.integer(mcmc$nitt),
    burnin = as.integer(mcmc$burnin),
    thin = as.integer(mcmc$thin),
    seed = seed,
    threads = as.integer(threads),
    verbose = verbose,
    interactive = interactive(),
    grid_route = grid_route,
    cache_mb = as.integer(memory_mb),
    adapt = adapt_on,
    k_max = as.integer(if (adapt_on) k_max else k),
    adapt_epsilon = as.double(adapt_epsilon),
    save_draws = save_draws,
    collapse_factors = collapse
  )

  info <- list(
    formula = parsed$formula,
    factor_formula = parsed$factor_formula,
    factor_terms = parsed$factor_terms,
    traits = colnames(parsed$Y),
    n = nrow(parsed$Y),
    fixed = colnames(parsed$X),
    fixed_F = colnames(parsed$XF),
    terms = term_names,
    levels = stats::setNames(lapply(parsed$terms, function(t) t$levels), term_names),
    relmat_given = stats::setNames(vapply(parsed$terms, function(t) t$relmat_given, TRUE),
                                   term_names),
    data_scale = list(center = obs$center, scale = obs$scale),
    family = parsed$family,
    n_categories = parsed$n_categories,
    class_levels = parsed$levels,
    offset = parsed$offset,
    weights_given = !is.null(parsed$weights),
    family_params = c(slam_family_param_names(parsed$family, parsed$n_categories, parsed$levels),
                      unlist(lapply(c(parsed$curves, parsed$nonlinear), function(cv) {
                        paste0(cv$trait, ":sigma2[", cv$group_levels, "]")
                      }))),
    curves = lapply(c(parsed$curves, parsed$nonlinear), function(cv) {
      keep <- intersect(names(cv), c("trait", "coef_traits", "basis", "group_levels", "curve", "g",
                                     "parameters", "y_scale"))
      cv[keep]
    }),
    curve_ids = parsed$curve_ids,
    probes = parsed$probes[c("genes", "gene_of", "probes")],
    Y = parsed$Y,
    X = parsed$X,
    row_levels = stats::setNames(lapply(parsed$terms, function(t) {
      as.integer(as.vector(t$Z %*% seq_len(ncol(t$Z))))
    }), term_names),
    n_factors = as.integer(k),
    prior = prior,
    mcmc = list(nitt = mcmc$nitt, burnin = mcmc$burnin, thin = mcmc$thin,
                n_planned = mcmc$n_saved, threads = as.integer(threads), seed = seed,
                seeds = seeds),
    adapt = list(adapt = adapt_on, k_start = as.integer(k),
                 k_max = as.integer(if (adapt_on) k_max else k), epsilon = adapt_epsilon),
    grid = list(route = route$route, requested = grid_route, G = route$G, M = M,
                r_extra = route$r_extra, memory_mb = route$memory_mb, budget_mb = memory_mb),
    save_draws = save_draws,
    collapse_factors = collapse,
    verbose = verbose
  )
  list(input = input, info = info)
}

#' The observations on the sampler's scale
#'
#' Gaussian traits are modelled as `y - offset`, centred (with an intercept) and
#' scaled by their observed sd; their precision weights go with them onto that
#' scale (`w s^2`). Other families stay on their own scale (0/1, class codes,
#' counts; center 0, scale 1); their offsets go to the sampler, which adds them
#' to the latent trait.
#'
#' @param parsed the result of [slam_parse_formula()].
#' @return A list with `Y`, `center`, `scale` (named per trait), `weights` and
#'   `offset` (n x p matrices or NULL) for the sampler.
#' @noRd
slam_sampler_scale <- function(parsed) {
  if (!is.null(parsed$probes)) {
    ps <- slam_probe_scale(parsed$probes, "(Intercept)" %in% colnames(parsed$X))
    Y <- parsed$Y
    Y[] <- NA_real_
    return(list(Y = Y, center = ps$center, scale = ps$scale, weights = NULL, offset = NULL,
                probes = ps$sets, curves = NULL))
  }
  if (!is.null(parsed$nonlinear)) {
    Y <- parsed$Y
    Y[] <- NA_real_
    sets <- lapply(parsed$nonlinear, function(nl) {
      list(curve = nl$curve, traits = as.double(nl$traits), center = nl$center, scale = nl$scale,
           row = as.double(nl$row), time = nl$time, y = nl$y, group = as.double(nl$group),
           n_groups = as.double(nl$n_groups), prior_scale = NA_real_, fun = nl$fun,
           par_names = nl$parameters)
    })
    center <- unlist(lapply(parsed$nonlinear, function(nl) stats::setNames(nl$center, nl$coef_traits)))
    scale <- unlist(lapply(parsed$nonlinear, function(nl) stats::setNames(nl$scale, nl$coef_traits)))
    return(list(Y = Y, center = center, scale = scale, weights = NULL, offset = NULL,
                probes = NULL, curves = NULL, nonlinear = sets))
  }
  if (!is.null(parsed$curves)) {
    cs <- slam_curve_scale(parsed$curves)
    if (!("(Intercept)" %in% colnames(parsed$X))) cs$center[] <- 0
    Y <- parsed$Y
    Y[] <- NA_real_
    return(list(Y = Y, center = cs$center, scale = cs$scale, weights = NULL, offset = NULL,
                probes = NULL, curves = cs$sets))
  }
  Y <- parsed$Y
  fam <- parsed$family
  if (is.null(fam)) fam <- stats::setNames(rep("gaussian", ncol(Y)), colnames(Y))
  gauss <- unname(fam == "gaussian")
  off <- parsed$offset
  if (!is.null(off) && any(gauss)) Y[, gauss] <- Y[, gauss, drop = FALSE] - off[, gauss, drop = FALSE]
  std <- slam_standardize(Y, has_intercept = "(Intercept)" %in% colnames(parsed$X),
                          standardize = gauss)
  W <- parsed$weights
  if (!is.null(W)) {
    W <- as_double_matrix(W)
    W[, gauss] <- sweep(W[, gauss, drop = FALSE], 2L, std$scale[gauss]^2, "*")
    dimnames(W) <- NULL
  }
  off_rust <- NULL
  if (!is.null(off) && any(!gauss)) {
    off_rust <- as_double_matrix(off)
    off_rust[, gauss] <- 0
    dimnames(off_rust) <- NULL
    if (all(off_rust == 0)) off_rust <- NULL
  }
  list(Y = std$Y, center = std$center, scale = std$scale, weights = W, offset = off_rust,
       probes = NULL, curves = NULL)
}

#' The sampler's name of each trait's family (the negative binomial with
#' Polya-Gamma augmentation is its own)
#' @noRd
slam_rust_families <- function(parsed) {
  fam <- unname(as.character(parsed$family))
  pg <- vapply(parsed$families, function(f) identical(f$latent, "polya-gamma"), TRUE)
  if (length(pg) == length(fam)) fam[fam == "negbin" & unname(pg)] <- "negbin_pg"
  fam
}

#' Names of the family parameters the sampler returns, in its order
#'
#' Trait by trait: the free cut-points of an ordinal trait with C classes
#' (`g_2, ..., g_{C-1}`; `g_1` is fixed at 0), named `trait:l2|l3`, ... after
#' the class labels, and the size of a negative binomial trait, `trait:size`.
#' @noRd
slam_family_param_names <- function(family, n_categories, levels) {
  out <- character(0)
  for (j in seq_along(family)) {
    tr <- names(family)[j]
    if (family[j] == "ordinal") {
      C <- n_categories[j]
      lev <- levels[[tr]]
      if (is.null(lev) || length(lev) != C) lev <- as.character(seq_len(C))
      if (C >= 3L) out <- c(out, paste0(tr, ":", lev[2:(C - 1L)], "|", lev[3:C]))
    } else if (family[j] == "negbin") {
      out <- c(out, paste0(tr, ":size"))
    }
  }
  out
}

#' Check the `grid_route` argument
#' @noRd
check_grid_route <- function(grid_route) {
  ok <- c("auto", "full", "metropolis")
  if (!is.character(grid_route) || length(grid_route) != 1L || is.na(grid_route) ||
      !(grid_route %in% ok)) {
    slam_stop("`grid_route` must be one of ", paste0("\"", ok, "\"", collapse = ", "), ".",
              arg = "grid_route")
  }
  grid_route
}

#' Check `max_factors` and give its default
#'
#' Default: `max(2 k, k + 5)`, at most the number of traits p, at least 1 and
#' at least the starting number k.
#' @noRd
check_max_factors <- function(max_factors, k, p) {
  if (is.null(max_factors)) {
    return(as.integer(max(k, 1L, min(max(2L * k, k + 5L), p))))
  }
  km <- check_number(max_factors, "max_factors", lower = 1, whole = TRUE)
  if (km < k) {
    slam_stop("`max_factors` (", km, ") must be at least `n_factors` (", k, ").", arg = "max_factors")
  }
  km
}

#' The grid route the sampler will take, and its memory estimate
#'
#' With M >= 2 terms the variance proportions are drawn either over the full
#' grid (every grid point's factorisation is needed, so all are cached when
#' they fit in the budget) or by Metropolis moves to neighbouring points
#' (only visited points are cached). "auto" takes the full grid when it has at
#' most 64 points (the sampler's own rule).
#'
#' @return A list with `route`, `G`, `r_extra`, `memory_mb` (estimate for
#'   caching the whole grid: G r_e^2 8 bytes) and `text` (a message).
#' @noRd
slam_grid_route_info <- function(grid_route, G, M, r_extra, budget_mb) {
  route <- if (M < 2L) "none" else if (grid_route == "auto") {
    if (G <= 64L) "full" else "metropolis"
  } else {
    grid_route
  }
  mem <- G * as.double(r_extra)^2 * 8 / 2^20
  fits <- mem <= budget_mb
  text <- paste0(
    "SLAMglmm: ", M, " random-effect terms; grid of G = ", G, " points; route: ", route,
    if (grid_route == "auto") " (auto: full grid when G <= 64)" else "",
    "; further terms have r_e = ", r_extra, " levels in all; caching every grid point's ",
    "factorisation needs about ", format_mb(mem), " (G * r_e^2 * 8 bytes) against a budget of ",
    format_mb(budget_mb), " (`memory_mb`)",
    if (route == "full" && !fits) ": over budget, factorisations will be recomputed (slower)"
    else if (route == "metropolis") ": only the grid points visited are cached"
    else "")
  list(route = route, G = as.integer(G), r_extra = as.integer(r_extra), memory_mb = mem,
       text = text)
}

#' Format a size in MiB
#' @noRd
format_mb <- function(mb) {
  if (mb >= 1024) paste0(format(mb / 1024, digits = 3), " GiB") else
    paste0(format(mb, digits = 3), " MiB")
}

#' A plain double matrix (no attributes other than dim and dimnames)
#' @noRd
as_double_matrix <- function(x) {
  x <- as.matrix(x)
  storage.mode(x) <- "double"
  x
}

#' Centre and scale each trait by its observed mean and sd
#'
#' @param Y n x p matrix with NA.
#' @param has_intercept centre only when the model has an intercept.
#' @param standardize per column: FALSE leaves it as it is (center 0, scale 1).
#' @return A list with the standardised `Y` and named `center`, `scale`.
#' @noRd
slam_standardize <- function(Y, has_intercept = TRUE, standardize = rep(TRUE, ncol(Y))) {
  center <- if (has_intercept) colMeans(Y, na.rm = TRUE) else rep(0, ncol(Y))
  scale <- apply(Y, 2L, function(y) sd_scaled(y[!is.na(y)]))
  center[!standardize] <- 0
  scale[!standardize] <- 1
  names(center) <- names(scale) <- colnames(Y)
  Ys <- sweep(sweep(Y, 2L, center, "-"), 2L, scale, "/")
  list(Y = Ys, center = center, scale = scale)
}

#' Up to this many traits, the default model has (M + 1) p factors, kept
#' through burn-in (no adaptation)
#'
#' With M random-effect terms acting on the factors (those of
#' `factor_formula`), (M + 1) p factors are enough for an
#' unstructured p x p covariance matrix of every such term and of the residual, as
#' MCMCglmm's `us()` structures give (p factors per matrix; the shrinkage
#' prior still shrinks the ones the data do not need). With the adaptive rule
#' and few traits the number of factors can fall to one, which forces every
#' term's covariance between traits to share one pattern of signs. Above this
#' many traits the factor model is the point: min(10, p) factors, adapted.
#' With few traits the trait-specific variances have no share of those terms
#' (grid prior weight only where their shares are 0; terms left out of
#' `factor_formula` stay the traits' own), so that such a term's variance can
#' only come through the factors, with their covariances:
#' otherwise each trait's own share takes the variance of a minor term
#' without any covariance and shrinks that term's correlations toward 0 (blue
#' tits: dam and foster-nest correlations -0.14 and 0.16 against glmmTMB's
#' REML -0.52 and 0.82; with this prior -0.38 and 0.53, REML inside the 95%
#' intervals; validation/few-traits-results.md).
#' @noRd
slam_few_traits <- 10L

#' The traits' grid prior with few traits (see slam_few_traits)
#'
#' Weight 1 where the traits' own shares of every term that acts on the
#' factors are 0, so that those terms' variances come through the factors with
#' their covariances; a term left out of `factor_formula` stays the traits'
#' own (its share free), or it would get no variance at all.
#' @param factor_terms names of the terms that act on the factors.
#' @return a function of the grid matrix (columns named by the terms).
#' @noRd
slam_few_traits_trait_prior <- function(factor_terms) {
  function(g) {
    g <- as.matrix(g)
    on <- if (is.null(colnames(g))) seq_len(ncol(g)) else intersect(colnames(g), factor_terms)
    as.numeric(rowSums(g[, on, drop = FALSE]) == 0)
  }
}

#' Up to this many traits, each factor's variance proportions are also drawn
#' with its scores integrated out (`collapse_factors = NULL`)
#'
#' Few traits carry little information about each factor's scores, so the
#' plain Gibbs sweep moves the factors' shares slowly and the collapsed block
#' raises effective samples per second several-fold (gryphon, blue tits,
#' mice in bench/results/mixing-*.md); with many traits the scores are well
#' determined, the block gains nothing per draw and costs O(n p k) more per
#' iteration (twice the time at (500, 200, 15)).
#' @noRd
slam_collapse_max_traits <- 50L

#' Assemble a SLAMglmm fit from the raw output of the Rust sampler
#'
#' Checks the shapes of the raw output, transforms every draw back to the data
#' scale, names all dimensions, and warns when the run was interrupted.
#'
#' @param info the `info` element of [slam_build_input()].
#' @param raw the list returned by `slam_sample_rust()`.
#' @param call the call to store.
#' @return An object of class `"SLAMglmm"`.
#' @noRd
slam_assemble_fit <- function(info, raw, call = NULL) {
  on_disk <- isTRUE(raw$draws_on_disk)
  saved <- if (is.null(info$save_draws)) slam_saved_quantities else info$save_draws
  if (on_disk) raw <- slam_raw_from_disk(raw, raw$draws_dir, saved)
  p <- length(info$traits)
  n <- info$n
  b <- length(info$fixed)
  bF <- length(info$fixed_F)
  ns <- slam_raw_dims(raw, p, info$n_factors)
  k <- ns$k
  nT <- ns$T
  fac <- if (k > 0L) paste0("F", seq_len(k)) else character(0)
  traits <- info$traits
  family <- info$family
  if (is.null(family)) family <- stats::setNames(rep("gaussian", p), traits)

  # Shape first, then transform (which allocates the result), then name the
  # result in place: at most one extra copy of the large arrays (Lambda).
  get <- function(name, dims) raw_shape(raw[[name]], dims, name)
  m <- info$data_scale$center
  s <- info$data_scale$scale

  # quantities left out by `save_draws` are NULL
  if (!("Lambda" %in% saved)) {
    Lambda <- NULL
  } else if (on_disk) {
    Lambda <- slam_disk_array(list(list(dir = file.path(raw$draws_dir, "Lambda"), n = nT, k = k)),
                              p = p, k = k, scale = s, dimnames = list(traits, fac, NULL))
  } else {
    Lambda <- get("Lambda", c(p, k, nT)) * s             # row j times s_j (recycled)
    dimnames(Lambda) <- fit_dimnames(dim(Lambda), list(traits, fac, NULL))
  }
  B <- NULL
  if ("B" %in% saved) {
    B <- get("B", c(b, p, nT)) * rep(s, each = b)       # column j times s_j
    icpt <- which(info$fixed == "(Intercept)")
    if (length(icpt) && nT > 0L) B[icpt, , ] <- B[icpt, , ] + m
    dimnames(B) <- fit_dimnames(dim(B), list(info$fixed, traits, NULL))
  }
  psi <- get("psi", c(p, nT)) * s^2
  dimnames(psi) <- fit_dimnames(dim(psi), list(traits, NULL))
  BF <- if ("BF" %in% saved) name_dims(get("BF", c(bF, k, nT)), list(info$fixed_F, fac, NULL))
  # variance proportions: rows x T with at most one term, rows x M x T (terms in
  # formula order) with several
  M <- length(info$terms)
  tms <- info$terms
  per_term <- function(name, rows, rn) {
    if (!(name %in% saved)) return(NULL)
    x <- get(name, c(rows, M, nT))
    if (M <= 1L) {
      x <- if (M == 1L) array(x, c(rows, nT)) else array(0, c(rows, nT))
      return(name_dims(x, list(rn, NULL)))
    }
    name_dims(x, list(rn, tms, NULL))
  }
  h2 <- per_term("h2", p, traits)
  h2F <- per_term("h2F", k, fac)
  h2_total <- per_term("h2_total", p, traits)
  sigma2_b <- if ("sigma2_b" %in% saved) name_dims(get("sigma2_b", c(b, nT)), list(info$fixed, NULL))
  delta <- if ("delta" %in% saved) name_dims(get("delta", c(k, nT)), list(fac, NULL))
  fp_names <- info$family_params
  if (is.null(fp_names)) fp_names <- character(0)
  family_params <- if ("family" %in% saved) {
    name_dims(get("family_params", c(length(fp_names), nT)), list(fp_names, NULL))
  }
  # measurement variances of curves back on the data scale
  for (cv in if (is.null(family_params)) list() else info$curves) {
    rows <- startsWith(fp_names, paste0(cv$trait, ":sigma2["))
    family_params[rows, ] <- family_params[rows, , drop = FALSE] * cv$y_scale^2
  }

  F_mean <- name_dims(get("F_mean", c(n, k)), list(NULL, fac))
  H_mean <- get("H_mean", c(n, p)) * rep(s, each = n) + rep(m, each = n)
  gauss <- unname(family == "gaussian")
  if (!is.null(info$offset) && any(gauss)) {
    H_mean[, gauss] <- H_mean[, gauss, drop = FALSE] + info$offset[, gauss, drop = FALSE]
  }
  dimnames(H_mean) <- fit_dimnames(dim(H_mean), list(NULL, traits))
  # the linear predictor of the latent traits (those with a missing value or a
  # non-Gaussian family; the others have no column), data scale
  mu_mean <- mu_sd <- NULL
  cols <- as.integer(raw$mu_columns)
  if (length(cols) && n > 0L && length(raw$mu_mean) == n * length(cols)) {
    sc <- rep(s[cols], each = n)
    mu_mean <- get("mu_mean", c(n, length(cols))) * sc + rep(m[cols], each = n)
    gl <- gauss[cols]
    if (!is.null(info$offset) && any(gl)) {
      mu_mean[, gl] <- mu_mean[, gl, drop = FALSE] + info$offset[, cols[gl], drop = FALSE]
    }
    mu_sd <- get("mu_sd", c(n, length(cols))) * sc
    mu_mean[is.nan(mu_mean)] <- NA_real_
    mu_sd[is.nan(mu_sd)] <- NA_real_
    dimnames(mu_mean) <- dimnames(mu_sd) <- list(NULL, traits[cols])
  }
  fitted_resp <- if (length(raw$fitted) == 0L) NULL else get("fitted", c(n, p))
  if (!is.null(fitted_resp)) dimnames(fitted_resp) <- fit_dimnames(dim(fitted_resp), list(NULL, traits))
  ord <- traits[family == "ordinal"]
  class_probs <- stats::setNames(lapply(seq_along(ord), function(i) {
    x <- raw$class_probs[[i]]
    lev <- info$class_levels[[ord[i]]]
    x <- raw_shape(x, c(n, length(lev)), "class_probs")
    dimnames(x) <- list(NULL, lev)
    x
  }), ord)
  acceptance <- if (is.null(raw$acceptance)) rep(NA_real_, p) else as.double(raw$acceptance)
  acceptance[!is.finite(acceptance)] <- NA_real_
  names(acceptance) <- traits

  # genetic values, one matrix per term in formula order
  U_mean <- list()
  for (i in seq_len(M)) {
    t <- tms[i]
    lev <- info$levels[[t]]
    U <- raw_shape(raw$U_mean[[i]], c(length(lev), p), "U_mean") * rep(s, each = length(lev))
    dimnames(U) <- fit_dimnames(dim(U), list(lev, traits))
    U_mean[[t]] <- U
  }
  k_trace <- if (is.null(raw$k_trace)) integer(0) else as.integer(raw$k_trace)

  # linear systems that were not numerically positive definite (the block kept its current values)
  failures <- if (is.null(raw$numerical_failures)) integer(0) else unlist(raw$numerical_failures)
  if (sum(failures) > 0L) {
    warning("numerical failures while sampling (", paste0(names(failures)[failures > 0], ": ",
            failures[failures > 0], collapse = ", "), "): a linear system was not numerically ",
            "positive definite and the block kept its current values; check for extreme scales or ",
            "nearly collinear covariates.", call. = FALSE)
  }
  iterations <- if (is.null(raw$iterations)) NA_integer_ else as.integer(raw$iterations)
  interrupted <- isTRUE(as.logical(raw$interrupted))
  if (interrupted) {
    warning("sampling interrupted after ", iterations,
            " iterations; returning the draws saved so far", call. = FALSE)
  }

  fit <- list(
    call = call,
    formula = info$formula,
    factor_formula = info$factor_formula,
    traits = traits,
    n = n,
    fixed = info$fixed,
    fixed_F = info$fixed_F,
    terms = info$terms,
    factor_terms = if (is.null(info$factor_terms)) info$terms else info$factor_terms,
    levels = info$levels,
    relmat_given = info$relmat_given,
    data_scale = info$data_scale,
    family = family,
    n_categories = info$n_categories,
    class_levels = info$class_levels,
    draws = list(Lambda = Lambda, B = B, BF = BF, psi = psi, h2 = h2, h2F = h2F,
                 h2_total = h2_total, sigma2_b = sigma2_b, delta = delta,
                 family = family_params),
    save_draws = saved,
    U_mean = U_mean,
    F_mean = F_mean,
    H_mean = H_mean,
    mu_mean = mu_mean,
    mu_sd = mu_sd,
    fitted_response = fitted_resp,
    class_probs = class_probs,
    probe_effects = if (length(info$probes$genes)) slam_probe_effects(raw$probes, info$probes, s) else NULL,
    curves = info$curves,
    curve_ids = info$curve_ids,
    acceptance = acceptance,
    Y = info$Y,
    X = info$X,
    offset = info$offset,
    row_levels = info$row_levels,
    n_factors = k,
    prior = info$prior,
    mcmc = list(nitt = info$mcmc$nitt, burnin = info$mcmc$burnin, thin = info$mcmc$thin,
                iterations = iterations, n_saved = nT, interrupted = interrupted,
                threads = info$mcmc$threads, seed = info$mcmc$seed,
                adapt = isTRUE(info$adapt$adapt),
                k_start = if (is.null(info$adapt$k_start)) k else info$adapt$k_start,
                k_max = if (is.null(info$adapt$k_max)) k else info$adapt$k_max,
                k_trace = k_trace,
                grid = info$grid,
                started_at = if (is.null(raw$started_at)) 0L else as.integer(raw$started_at),
                state = raw$state,
                draws_dir = if (on_disk) raw$draws_dir else NULL,
                numerical_failures = failures)
  )
  class(fit) <- "SLAMglmm"
  fit
}

#' Number of factors and of saved draws in the raw output
#'
#' The number of factors is read from `Lambda` (the sampler may adapt it during
#' burn-in; else from `F_mean`, else the requested number), the number of
#' draws from `psi`.
#' @noRd
slam_raw_dims <- function(raw, p, k_input = 0L) {
  if (!is.list(raw)) slam_stop("internal error: the sampler did not return a list.")
  dpsi <- dim(raw$psi)
  if (is.null(dpsi)) {
    nT <- if (p > 0L) length(raw$psi) %/% p else 0L
  } else {
    nT <- dpsi[length(dpsi)]
  }
  dL <- dim(raw$Lambda)
  k <- if (length(dL) == 3L) {
    dL[2L]
  } else if (length(dim(raw$F_mean)) == 2L) {
    ncol(raw$F_mean)
  } else if (nT > 0L && p > 0L) {
    length(raw$Lambda) %/% (p * nT)
  } else {
    k_input
  }
  list(k = as.integer(k), T = as.integer(nT))
}

#' Give a raw output element its expected shape
#'
#' @param x the element (may be NULL or of length 0 when a dimension is 0).
#' @param dims expected dimensions.
#' @param name element name, for messages.
#' @return A double array with dimensions `dims` (`x` itself when it already
#'   has them, so that large arrays are not copied).
#' @noRd
raw_shape <- function(x, dims, name) {
  if (is.null(x)) x <- numeric(0)
  if (length(x) != prod(dims)) {
    slam_stop("internal error: the sampler returned '", name, "' of length ", length(x),
              ", expected ", paste(dims, collapse = " x "), ".")
  }
  if (is.double(x) && identical(as.integer(dim(x)), as.integer(dims))) return(x)
  array(as.double(x), dim = dims)
}

#' Dimnames that fit: names whose length does not match (e.g. 0 factors) are NULL
#' @noRd
fit_dimnames <- function(dims, dn) {
  lapply(seq_along(dims), function(i) {
    d <- dn[[i]]
    if (is.null(d) || length(d) != dims[i] || dims[i] == 0L) NULL else d
  })
}

#' Set dimnames (for the small arrays; may copy `x`)
#' @noRd
name_dims <- function(x, dn) {
  dimnames(x) <- fit_dimnames(dim(x), dn)
  x
}

#' The prior scale of the measurement variance of each non-linear response:
#' `prior$curves$scale` times the mean squared residual of its measurements
#' about the pooled curve at the start values (they are not standardised)
#' @noRd
slam_nonlinear_prior <- function(sets, parsed_sets, prior) {
  if (is.null(sets)) return(NULL)
  for (i in seq_along(sets)) {
    sets[[i]]$prior_scale <- prior$curves$scale * parsed_sets[[i]]$resid_var
  }
  sets
}
