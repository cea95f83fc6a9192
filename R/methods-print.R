# print() and summary() for SLAMglmm fits.

#' Format a deparsed formula or call on one line (shortened)
#' @noRd
slam_deparse <- function(x, width = 500L) {
  s <- paste(trimws(deparse(x, width.cutoff = 500L)), collapse = " ")
  if (nchar(s) > width) s <- paste0(substr(s, 1L, width - 3L), "...")
  s
}

#' One line describing the MCMC run
#' @noRd
slam_mcmc_line <- function(fit) {
  mc <- fit$mcmc
  nT <- slam_n_draws(fit)
  if (is.null(mc)) return(paste0(nT, " saved draws"))
  C <- if (is.null(mc$chains)) 1L else mc$chains
  s <- paste0("nitt = ", mc$nitt, ", burnin = ", mc$burnin, ", thin = ", mc$thin,
              " -> ", nT, " saved draws", if (C > 1L) paste0(" (", C, " chains)"))
  if (!is.null(mc$threads)) s <- paste0(s, "; ", mc$threads, " thread", if (mc$threads != 1) "s")
  if (!is.null(mc$seed)) s <- paste0(s, "; seed ", paste(mc$seed, collapse = " "))
  s
}

#' Describe the random-effect terms
#' @noRd
slam_terms_line <- function(fit) {
  tms <- slam_terms(fit)
  if (!length(tms)) return("none")
  paste(vapply(tms, function(tm) {
    nl <- length(fit$levels[[tm]])
    rg <- fit$relmat_given
    kin <- if (!is.null(rg) && tm %in% names(rg) && isTRUE(rg[[tm]])) "with relationship matrix" else "iid"
    ft <- fit$factor_terms
    onf <- if (!is.null(ft) && !(tm %in% ft)) ", traits only" else ""
    paste0(tm, " (", nl, " levels, ", kin, onf, ")")
  }, character(1)), collapse = "; ")
}

#' Describe the number of factors, and how it changed over burn-in
#' @noRd
slam_factors_line <- function(fit) {
  k <- slam_n_factors(fit)
  mc <- fit$mcmc
  if (!isTRUE(mc$adapt)) return(paste0("factors: ", k, " (fixed)"))
  tr <- mc$k_trace
  s <- paste0("factors: started ", mc$k_start, ", ended ", k, " (adaptive during burn-in, at most ",
              mc$k_max)
  if (length(tr)) s <- paste0(s, "; range over burn-in ", min(tr), "-", max(tr))
  pc <- mc$per_chain
  if (length(pc) > 1L) {
    s <- paste0(s, "; per chain ", paste(vapply(pc, function(x) as.character(x$n_factors), ""),
                                         collapse = ", "))
  }
  paste0(s, ")")
}

#' Describe the grid route taken with several random-effect terms
#' @noRd
slam_grid_line <- function(fit) {
  g <- fit$mcmc$grid
  if (is.null(g) || is.null(g$M) || g$M < 2L) return(NULL)
  paste0("variance-proportion grid: ", g$G, " points over ", g$M, " terms, route ", g$route,
         if (identical(g$requested, "auto")) " (auto)" else "")
}

#' Print a named numeric vector for the first `max` elements
#' @noRd
print_truncated_vector <- function(x, max = 10L, digits = 3L) {
  n <- length(x)
  print(round(x[seq_len(min(n, max))], digits))
  if (n > max) cat("  ... and", n - max, "more\n")
}

#' Summarise a SLAMglmm fit
#'
#' Posterior summaries of a fit: MCMC settings, fixed effects with intervals,
#' heritabilities (total and trait-specific) with intervals and effective
#' sample sizes, and the factors with their variance proportions and the share
#' of the phenotypic variance each explains.
#'
#' Factor summaries are indicative: factors are identified only up to order
#' and sign (the sampler aligns signs and orders them by size during burn-in),
#' whereas the covariance matrices and heritabilities are identified.
#'
#' @param object a fitted `SLAMglmm` object.
#' @param prob probability mass of the intervals.
#' @param method `"quantile"` (equal-tailed) or `"hpd"` intervals.
#' @param ... not used.
#' @return An object of class `"summary.SLAMglmm"`: a list with `call`,
#'   `formula`, `mcmc` (settings and number of draws), `fixed` (data frame:
#'   effect, trait, estimate, lower, upper), `h2` (data frame from [h2()], both
#'   types), `factors` (data frame: factor, h2F per term, `prop_var`: the
#'   posterior mean share of the summed standardised phenotypic variance of the
#'   traits explained by the factor, and `n_load`: the number of traits for
#'   which the factor explains at least 10% of the phenotypic variance),
#'   `varcorr` (the [VarCorr.SLAMglmm()] matrices), `diagnostics` (data
#'   frame from [slam_diagnostics()]: R-hat, bulk and tail ESS of every
#'   identified quantity), `prob`, `method`. A warning is given when any R-hat
#'   exceeds 1.01.
#' @examples
#' \donttest{
#' data(slam_pheno, slam_kinship)
#' fit <- SLAMglmm(cbind(y1, y2, y3) ~ sex + (1 | animal), data = slam_pheno,
#'                 relmat = list(animal = slam_kinship), n_factors = 2,
#'                 nitt = 600, burnin = 200, thin = 2, verbose = FALSE)
#' fit
#' s <- summary(fit)
#' s
#' s$h2
#' }
#' @method summary SLAMglmm
#' @export
summary.SLAMglmm <- function(object, prob = 0.95, method = c("quantile", "hpd"), ...) {
  method <- match.arg(method)
  check_prob(prob)
  diag_traits <- slam_summary_traits(object)
  diagnostics <- slam_diagnostics(object, traits = diag_traits)
  chains <- max(slam_draw_chain(object))
  n_per_chain <- slam_n_draws(object) %/% chains
  bad <- which(diagnostics$rhat > 1.01)
  if (length(bad)) {
    warning(length(bad), " of ", nrow(diagnostics), " quantities have R-hat above 1.01 (largest ",
            round(max(diagnostics$rhat[bad]), 3), ", ", diagnostics$variable[bad][which.max(diagnostics$rhat[bad])],
            "): the chains have not converged or mixed; run longer (see slam_diagnostics()).",
            call. = FALSE)
  }
  # parts whose draws were not saved (save_draws) are left out
  fixed <- slam_if_saved(fixef.SLAMglmm(object, interval = TRUE, prob = prob, method = method))
  h <- slam_if_saved(h2.SLAMglmm(object, type = "both", prob = prob, method = method))
  if (is.null(h)) h <- slam_if_saved(h2.SLAMglmm(object, type = "total", prob = prob, method = method))
  out <- list(
    call = object$call, formula = object$formula,
    traits = slam_traits(object), n = object$n, n_factors = slam_n_factors(object),
    terms_line = slam_terms_line(object),
    mcmc = object$mcmc, n_draws = slam_n_draws(object),
    mcmc_line = slam_mcmc_line(object),
    factors_line = slam_factors_line(object),
    grid_line = slam_grid_line(object),
    family_line = slam_family_line(object),
    family_params = slam_if_saved(family_params(object, prob = prob, method = method)),
    fixed = fixed, h2 = h, factors = slam_factor_table(object),
    varcorr = slam_if_saved(VarCorr.SLAMglmm(object)),
    diagnostics = diagnostics,
    convergence_line = slam_convergence_line(diagnostics, chains, n_per_chain,
                                             if (!is.null(diag_traits)) c(length(diag_traits), length(object$traits))),
    prob = prob, method = method
  )
  class(out) <- "summary.SLAMglmm"
  out
}

#' @rdname summary.SLAMglmm
#' @method print SLAMglmm
#' @export
print.SLAMglmm <- function(x, digits = 3, max_traits = 10, ...) {
  traits <- slam_traits(x)
  p <- length(traits)
  cat("Sparse-factor multivariate mixed model (SLAMglmm)\n")
  if (!is.null(x$formula)) cat(" Formula:", slam_deparse(x$formula, 200L), "\n")
  cat(" Traits:", p, " Observations:", x$n, " Factors:", slam_n_factors(x), "\n")
  cat(" Random effects:", slam_terms_line(x), "\n")
  fl <- slam_family_line(x)
  if (!is.null(fl)) cat(" ", toupper(substr(fl, 1, 1)), substring(fl, 2), "\n", sep = "")
  cat(" MCMC:", slam_mcmc_line(x), "\n")
  cat(" ", slam_factors_line(x), "\n", sep = "")
  if (isTRUE(x$mcmc$interrupted)) cat(" NOTE: the run was interrupted; fewer draws than planned.\n")
  h <- if (length(slam_terms(x))) slam_if_saved(h2.SLAMglmm(x))
  if (!is.null(h)) {
    for (tm in unique(h$term)) {
      cat("\nHeritability (", tm, "), posterior means of diag(G)/diag(P):\n", sep = "")
      hh <- h[h$term == tm, ]
      print_truncated_vector(stats::setNames(hh$estimate, hh$trait), max_traits, digits)
    }
  }
  fe <- slam_if_saved(fixef.SLAMglmm(x))
  if (!is.null(fe) && nrow(fe)) {
    cat("\nFixed effects (posterior means):\n")
    show <- seq_len(min(p, max_traits))
    print(signif(fe[, show, drop = FALSE], digits))
    if (p > max_traits) cat("  ... and", p - max_traits, "more traits\n")
  }
  invisible(x)
}

#' Variance explained by each factor
#' @noRd
slam_factor_table <- function(fit) {
  k <- slam_n_factors(fit)
  if (k == 0L) {
    return(data.frame(factor = character(0), prop_var = numeric(0), n_load = numeric(0)))
  }
  dr <- fit$draws
  if (is.null(dr$Lambda) || is.null(dr$h2F)) return(NULL)  # not saved (save_draws)
  psi <- dr$psi
  p <- nrow(psi)
  nT <- ncol(psi)
  share <- matrix(0, k, nT)
  nload <- matrix(0, k, nT)
  for (idx in slam_lambda_blocks(dr$Lambda)) {
    L2 <- slam_lambda_block(dr$Lambda, idx)^2
    for (i in seq_along(idx)) {
      t <- idx[i]
      L2t <- matrix(L2[, , i], p, k)
      pd <- rowSums(L2t) + psi[, t]
      fr <- L2t / pd                # fraction of trait j's phenotypic variance due to factor h
      share[, t] <- colSums(fr) / p
      nload[, t] <- colSums(fr >= 0.1)
    }
  }
  out <- data.frame(factor = paste0("F", seq_len(k)), stringsAsFactors = FALSE)
  tms <- slam_terms(fit)
  for (m in seq_along(tms)) {
    h2F <- matrix(as.double(slam_term_slice(dr$h2F, m, length(tms))), k, nT)
    out[[if (length(tms) == 1L) "h2F" else paste0("h2F_", tms[m])]] <- rowMeans(h2F)
  }
  out$prop_var <- rowMeans(share)
  out$n_load <- rowMeans(nload)
  out
}

#' @rdname summary.SLAMglmm
#' @param x a fitted `SLAMglmm` object (`print.SLAMglmm`) or a `summary.SLAMglmm` object.
#' @param digits number of significant digits.
#' @param max_traits show at most this many traits in each table.
#' @method print summary.SLAMglmm
#' @export
print.summary.SLAMglmm <- function(x, digits = 3, max_traits = 10, ...) {
  cat("Sparse-factor multivariate mixed model fit by MCMC (SLAMglmm)\n")
  if (!is.null(x$call)) cat("Call: ", slam_deparse(x$call, 300L), "\n", sep = "")
  p <- length(x$traits)
  cat("Traits: ", p, "   Observations: ", x$n, "   Factors: ", x$n_factors, "\n", sep = "")
  cat("Random effects: ", x$terms_line, "\n", sep = "")
  if (!is.null(x$family_line)) cat(toupper(substr(x$family_line, 1, 1)), substring(x$family_line, 2),
                                   "\n", sep = "")
  cat("MCMC: ", x$mcmc_line, "\n", sep = "")
  if (!is.null(x$factors_line)) cat(toupper(substr(x$factors_line, 1, 1)),
                                    substring(x$factors_line, 2), "\n", sep = "")
  if (!is.null(x$convergence_line)) cat(x$convergence_line, "\n", sep = "")
  if (!is.null(x$grid_line)) cat(toupper(substr(x$grid_line, 1, 1)),
                                 substring(x$grid_line, 2), "\n", sep = "")
  if (isTRUE(x$mcmc$interrupted)) cat("NOTE: the run was interrupted; fewer draws than planned.\n")
  ilab <- paste0(100 * x$prob, "% ", if (x$method == "hpd") "HPD" else "equal-tailed", " intervals")
  show_tr <- x$traits[seq_len(min(p, max_traits))]
  more <- if (p > max_traits) paste0("  ... ", p - max_traits, " more traits not shown\n") else ""

  if (!is.null(x$h2) && nrow(x$h2)) {
    cat("\nVariance proportions (posterior mean, ", ilab, ", effective sample size):\n", sep = "")
    cat("  total = diag(G)/diag(P); specific = share of the trait-specific variance psi\n")
    if (!is.null(x$family_line)) {
      cat("  probit/ordinal traits: liability scale; count traits: log scale\n")
    }
    for (tm in unique(x$h2$term)) {
      tot <- x$h2[x$h2$term == tm & x$h2$type == "total" & x$h2$trait %in% show_tr, ]
      spc <- x$h2[x$h2$term == tm & x$h2$type == "specific" & x$h2$trait %in% show_tr, ]
      if (nrow(spc) == 0L) spc <- data.frame(estimate = rep(NA_real_, nrow(tot)), lower = NA_real_,
                                             upper = NA_real_)
      tab <- data.frame(
        h2 = round(tot$estimate, digits), lower = round(tot$lower, digits),
        upper = round(tot$upper, digits), ess = round(tot$ess),
        h2_specific = round(spc$estimate, digits), lower.s = round(spc$lower, digits),
        upper.s = round(spc$upper, digits),
        row.names = tot$trait, check.names = FALSE)
      cat(" Term:", tm, "\n")
      print(tab)
      ess <- x$h2$ess[x$h2$term == tm & x$h2$type == "total"]
      if (any(is.finite(ess))) {
        cat("  smallest effective sample size of h2 (total):", round(min(ess, na.rm = TRUE)), "of",
            x$n_draws, "draws\n")
      }
    }
    cat(more)
  }

  vc <- x$varcorr
  if (!is.null(vc)) {
    cat("\nVariance components (posterior-mean trait variances):\n")
    vtab <- do.call(cbind, lapply(vc, function(S) diag(S)[show_tr]))
    colnames(vtab) <- names(vc)
    rownames(vtab) <- show_tr
    print(signif(vtab, digits))
    cat(more)
  }

  if (!is.null(x$fixed) && nrow(x$fixed)) {
    cat("\nFixed effects (posterior mean, ", ilab, "):\n", sep = "")
    fx <- x$fixed[x$fixed$trait %in% show_tr, ]
    fmt <- function(v) formatC(signif(v, digits), digits = digits, format = "fg")
    tab <- data.frame(trait = fx$trait, estimate = fmt(fx$estimate),
                      lower = fmt(fx$lower), upper = fmt(fx$upper),
                      stringsAsFactors = FALSE)
    for (ef in unique(fx$effect)) {
      cat(" ", ef, "\n", sep = "")
      sub <- tab[fx$effect == ef, , drop = FALSE]
      rownames(sub) <- paste0("   ", sub$trait)
      print(sub[, -1L, drop = FALSE])
    }
    cat(more)
  }

  fp <- x$family_params
  if (!is.null(fp) && nrow(fp)) {
    cat("\nObservation-model parameters (posterior mean, ", ilab, ", ESS, acceptance):\n", sep = "")
    tab <- data.frame(estimate = signif(fp$estimate, digits), lower = signif(fp$lower, digits),
                      upper = signif(fp$upper, digits), ess = round(fp$ess),
                      acceptance = round(fp$acceptance, 2), row.names = fp$parameter)
    print(tab)
  }

  cat("\nLatent factors: ", x$n_factors, "\n", sep = "")
  if (x$n_factors > 0L && !is.null(x$factors)) {
    ft <- x$factors
    ft$prop_var <- round(ft$prop_var, digits)
    ft$n_load <- round(ft$n_load, 1)
    for (nm in grep("^h2F", names(ft), value = TRUE)) ft[[nm]] <- round(ft[[nm]], digits)
    show_f <- seq_len(min(nrow(ft), 20L))
    print(ft[show_f, , drop = FALSE], row.names = FALSE)
    if (nrow(ft) > 20L) cat("  ... ", nrow(ft) - 20L, " more factors\n", sep = "")
    cat("  prop_var: share of the traits' standardised phenotypic variance explained by the factor;\n",
        "  n_load: traits with >= 10% of their variance from the factor (posterior means).\n", sep = "")
  }
  invisible(x)
}

#' The value of `expr`, or NULL when it needs draws the fit did not save
#' @noRd
slam_if_saved <- function(expr) tryCatch(expr, slamglmm_not_saved = function(e) NULL)
