# Input checks used by SLAMglmm() and slam_prior().
#
# Every check stops with an error message that names the offending argument
# (or prior element), so that a user can find the problem without reading
# code. All checks run in R, before any Rust code is called.

#' Stop with a classed input error, without the call
#'
#' Every input error of the package is signalled here, as a condition of class
#' `c("slamglmm_input_error", "slamglmm_error", "error", "condition")` with
#' the fields `message`, `call` (always NULL) and `arg`, so that callers can
#' catch them, e.g.
#' `tryCatch(SLAMglmm(...), slamglmm_input_error = function(e) e$arg)`.
#'
#' @param ... pieces of the message, pasted together with no separator.
#' @param arg the name of the offending argument (e.g. "family", "weights",
#'   "formula"), or NULL when it is not known.
#' @return Never returns.
#' @noRd
slam_stop <- function(..., arg = NULL) {
  if (!is.null(arg)) arg <- as.character(arg)[1L]
  cond <- structure(
    class = c("slamglmm_input_error", "slamglmm_error", "error", "condition"),
    list(message = paste0(...), call = NULL, arg = arg))
  stop(cond)
}

#' Run the Rust sampler, turning its errors (returned as `list(error =)`: a
#' user-written curve that failed or returned the wrong shape while sampling;
#' internal errors) into classed R errors `c("slamglmm_sampler_error", "slamglmm_error", "error", "condition")`
#' @noRd
slam_run_sampler <- function(input) {
  raw <- slam_sample_rust(input)
  if (!is.null(raw$error)) {
    stop(structure(class = c("slamglmm_sampler_error", "slamglmm_error", "error", "condition"),
                   list(message = paste0("the sampler stopped: ", raw$error), call = NULL)))
  }
  raw
}

#' The argument named by a message label such as "relmat$animal" or
#' "`relmat$animal` (a pedigree)": the part before any `$`, `[` or space,
#' without backticks
#' @noRd
slam_arg_name <- function(name) {
  name <- gsub("`", "", as.character(name)[1L])
  sub("[$[ ].*$", "", name)
}

#' Is `x` a single finite number?
#' @noRd
is_number <- function(x) {
  is.numeric(x) && length(x) == 1L && !is.na(x) && is.finite(x)
}

#' Is `x` a single whole number (integer-valued double or integer)?
#' @noRd
is_whole <- function(x) {
  is_number(x) && abs(x - round(x)) < 1e-8
}

#' Check a single number against a lower bound
#'
#' @param x the value.
#' @param name how to name it in an error message.
#' @param lower lower bound.
#' @param strict if TRUE, `x` must be strictly greater than `lower`.
#' @param whole if TRUE, `x` must be a whole number.
#' @return `x` (as an integer when `whole` is TRUE), invisibly checked.
#' @noRd
check_number <- function(x, name, lower = -Inf, strict = FALSE, whole = FALSE,
                         arg = slam_arg_name(name)) {
  what <- if (whole) "a single whole number" else "a single finite number"
  if (whole && !is_whole(x) || !whole && !is_number(x)) {
    slam_stop("`", name, "` must be ", what, ".", arg = arg)
  }
  if (strict && !(x > lower)) {
    slam_stop("`", name, "` must be > ", format(lower), " (got ", format(x), ").", arg = arg)
  }
  if (!strict && !(x >= lower)) {
    slam_stop("`", name, "` must be >= ", format(lower), " (got ", format(x), ").", arg = arg)
  }
  if (whole && x > .Machine$integer.max) {
    slam_stop("`", name, "` must be at most ", .Machine$integer.max, " (got ", format(x), ").",
              arg = arg)
  }
  if (whole) as.integer(round(x)) else as.double(x)
}

#' Check a single TRUE/FALSE flag
#' @noRd
check_flag <- function(x, name, arg = slam_arg_name(name)) {
  if (!is.logical(x) || length(x) != 1L || is.na(x)) {
    slam_stop("`", name, "` must be TRUE or FALSE.", arg = arg)
  }
  x
}

#' Check the MCMC settings
#'
#' `nitt` > `burnin` >= 0, `thin` >= 1, and at least one draw is saved
#' (draws are saved at iterations burnin + thin, burnin + 2 thin, ... <= nitt).
#'
#' @return A list with integer `nitt`, `burnin`, `thin` and `n_saved`.
#' @noRd
check_mcmc <- function(nitt, burnin, thin) {
  nitt <- check_number(nitt, "nitt", lower = 1, whole = TRUE)
  burnin <- check_number(burnin, "burnin", lower = 0, whole = TRUE)
  thin <- check_number(thin, "thin", lower = 1, whole = TRUE)
  if (nitt <= burnin) {
    slam_stop("`nitt` (", nitt, ") must be greater than `burnin` (", burnin, ").", arg = "nitt")
  }
  n_saved <- (nitt - burnin) %/% thin
  if (n_saved < 1L) {
    slam_stop("no draw would be saved: (`nitt` - `burnin`) / `thin` must be at least 1 ",
              "(nitt = ", nitt, ", burnin = ", burnin, ", thin = ", thin, ").", arg = "thin")
  }
  list(nitt = nitt, burnin = burnin, thin = thin, n_saved = as.integer(n_saved))
}

#' Default number of threads
#'
#' At most 2 (CRAN's rule for examples and tests), at most the number of
#' cores, and at most the environment variable `OMP_THREAD_LIMIT` when it is
#' set to a positive whole number.
#'
#' @return An integer >= 1.
#' @noRd
slam_default_threads <- function() {
  cores <- suppressWarnings(parallel::detectCores())
  if (is.na(cores) || cores < 1L) cores <- 1L
  n <- min(2L, as.integer(cores))
  limit <- suppressWarnings(as.integer(Sys.getenv("OMP_THREAD_LIMIT", "")))
  if (!is.na(limit) && limit >= 1L) n <- min(n, limit)
  as.integer(n)
}

#' Check the `threads` argument (NULL gives the default)
#' @noRd
check_threads <- function(threads) {
  if (is.null(threads)) return(slam_default_threads())
  check_number(threads, "threads", lower = 1, whole = TRUE)
}

#' Check `n_factors` (a whole number >= 0)
#' @noRd
check_n_factors <- function(n_factors) {
  check_number(n_factors, "n_factors", lower = 0, whole = TRUE)
}

#' Check the response matrix (every trait gaussian)
#'
#' Each trait must be numeric, have at least two observed values and must not
#' be constant over its observed values (see [check_gaussian_trait()]).
#' Responses with other families are checked by [slam_observation_data()].
#'
#' @param Y the response, a matrix with column names.
#' @return Y as a double matrix.
#' @noRd
check_response <- function(Y) {
  traits <- colnames(Y)
  check_response_shape(nrow(Y), traits)
  if (!is.numeric(Y)) {
    slam_stop("the response must be numeric; trait(s) ",
              paste0("'", traits, "'", collapse = ", "), " are of type ", typeof(Y), ".",
              arg = "formula")
  }
  for (j in seq_len(ncol(Y))) check_gaussian_trait(Y[, j], traits[j])
  storage.mode(Y) <- "double"
  Y
}

#' Check the size of the response and the uniqueness of the trait names
#'
#' @param n number of rows.
#' @param traits trait names.
#' @noRd
check_response_shape <- function(n, traits) {
  if (n < 2L) slam_stop("the response has fewer than 2 rows.", arg = "formula")
  if (length(traits) < 1L) slam_stop("the response has no column (trait).", arg = "formula")
  if (anyDuplicated(traits)) {
    slam_stop("trait names must be unique; duplicated: ",
              paste0("'", unique(traits[duplicated(traits)]), "'", collapse = ", "), ".",
              arg = "formula")
  }
  invisible(TRUE)
}

#' Check one gaussian trait
#'
#' No infinite value, at least two observed values, not constant over them,
#' and a standard deviation whose square can be represented.
#'
#' @param y numeric vector (NA allowed).
#' @param trait its name, for messages.
#' @return `y`, invisibly.
#' @noRd
check_gaussian_trait <- function(y, trait) {
  if (any(is.infinite(y))) slam_stop("trait '", trait, "' has infinite values.", arg = "formula")
  obs <- y[!is.na(y)]
  check_n_observed(length(obs), trait)
  if (all(obs == obs[1L])) {
    slam_stop("trait '", trait, "' is constant over its observed values.", arg = "formula")
  }
  s <- sd_scaled(obs)
  if (!(s > 1e-100 && s < 1e100)) {
    slam_stop("trait '", trait, "' has standard deviation ", format(s, digits = 3),
              ": variances on that scale cannot be represented; rescale the trait ",
              "(e.g. change its units).", arg = "formula")
  }
  invisible(y)
}

#' Check that a trait has at least two observed values
#' @noRd
check_n_observed <- function(n_obs, trait) {
  if (n_obs == 0L) {
    slam_stop("trait '", trait, "' has no observed value (all NA).", arg = "formula")
  }
  if (n_obs < 2L) {
    slam_stop("trait '", trait, "' has fewer than 2 observed values.", arg = "formula")
  }
  invisible(TRUE)
}

#' Standard deviation computed on x / max|x|, so that it neither under- nor
#' overflows for very small or very large values
#' @noRd
sd_scaled <- function(x) {
  m <- max(abs(x))
  if (m == 0) return(0)
  stats::sd(x / m) * m
}

#' Check that no variable of a model frame has missing values
#'
#' @param mf a model frame (made with `na.action = na.pass`).
#' @param where text that says where the variables come from.
#' @param skip names of variables not to check (offset terms: their
#'   non-finite values are reported by [slam_observation_data()]).
#' @noRd
check_no_na <- function(mf, where, skip = character(0)) {
  for (v in setdiff(names(mf), skip)) {
    if (anyNA(mf[[v]])) {
      slam_stop("variable '", v, "' in ", where, " has missing values (NA); ",
                "NA is only allowed in the response. Remove or impute those rows first.",
                arg = "data")
    }
  }
  invisible(TRUE)
}

#' Check a design matrix for full column rank
#' @noRd
check_full_rank <- function(X, name, arg = "formula") {
  if (ncol(X) == 0L) return(invisible(TRUE))
  if (any(!is.finite(X))) slam_stop("the ", name, " design has non-finite values.", arg = arg)
  qx <- qr(X)
  if (qx$rank < ncol(X)) {
    bad <- colnames(X)[qx$pivot[seq.int(qx$rank + 1L, ncol(X))]]
    slam_stop("the ", name, " design matrix is rank-deficient (", qx$rank, " < ", ncol(X),
              " columns); aliased column(s): ", paste0("'", bad, "'", collapse = ", "), ".",
              arg = arg)
  }
  invisible(TRUE)
}

#' Check `relmat` as a whole: a named list
#'
#' @param relmat the argument.
#' @param terms names of the random-effect terms (grouping factors).
#' @return `relmat` (a list, possibly empty).
#' @noRd
check_relmat_list <- function(relmat, terms) {
  if (is.null(relmat)) return(list())
  if (!is.list(relmat) || is.data.frame(relmat)) {
    slam_stop("`relmat` must be a named list of matrices or pedigree data frames, one per grouping factor, ",
              "e.g. relmat = list(animal = A).", arg = "relmat")
  }
  if (length(relmat) == 0L) return(list())
  nm <- names(relmat)
  if (is.null(nm) || any(is.na(nm) | nm == "")) {
    slam_stop("every element of `relmat` must be named by its grouping factor ",
              "(matching is by name, never by position).", arg = "relmat")
  }
  if (anyDuplicated(nm)) {
    slam_stop("`relmat` has duplicated names: ",
              paste0("'", unique(nm[duplicated(nm)]), "'", collapse = ", "), ".", arg = "relmat")
  }
  unknown <- setdiff(nm, terms)
  if (length(unknown)) {
    known <- if (length(terms)) paste0("'", terms, "'", collapse = ", ") else "none"
    slam_stop("`relmat` has element(s) ", paste0("'", unknown, "'", collapse = ", "),
              " that match no random-effect grouping factor in the formula (grouping factors: ",
              known, ").", arg = "relmat")
  }
  relmat
}

#' Check one relationship (kinship) matrix
#'
#' Converts a `Matrix` to a base matrix, checks that it is a square, numeric,
#' symmetric, positive semi-definite matrix without NA, with non-negative
#' diagonal and unique row names, and returns it symmetrised.
#'
#' @param K the matrix.
#' @param term the grouping factor name, used in messages as `relmat$<term>`.
#' @return A symmetric double matrix with row and column names.
#' @noRd
check_relmat_matrix <- function(K, term) {
  name <- paste0("relmat$", term)
  arg <- "relmat"
  if (is(K, "Matrix")) K <- as.matrix(K)
  if (is.data.frame(K)) slam_stop("`", name, "` must be a matrix, not a data frame.", arg = arg)
  if (!is.matrix(K)) slam_stop("`", name, "` must be a numeric matrix or a `Matrix`.", arg = arg)
  if (!is.numeric(K)) {
    slam_stop("`", name, "` must be numeric (it is of type ", typeof(K), ").", arg = arg)
  }
  if (nrow(K) != ncol(K)) {
    slam_stop("`", name, "` must be square (it is ", nrow(K), " x ", ncol(K), ").", arg = arg)
  }
  if (nrow(K) < 1L) slam_stop("`", name, "` is empty.", arg = arg)
  if (anyNA(K)) slam_stop("`", name, "` has missing values (NA).", arg = arg)
  if (any(!is.finite(K))) slam_stop("`", name, "` has non-finite values.", arg = arg)
  ids <- rownames(K)
  if (is.null(ids)) ids <- colnames(K)
  if (is.null(ids)) {
    slam_stop("`", name, "` must have row names: the level ids of grouping factor '", term, "'.",
              arg = arg)
  }
  if (anyNA(ids) || any(ids == "")) slam_stop("`", name, "` has empty or NA row names.", arg = arg)
  if (anyDuplicated(ids)) {
    slam_stop("`", name, "` has duplicated row names: ",
              paste0("'", head(unique(ids[duplicated(ids)]), 5L), "'", collapse = ", "), ".",
              arg = arg)
  }
  if (!is.null(colnames(K)) && !identical(colnames(K), ids)) {
    slam_stop("`", name, "` must have the same row and column names, in the same order.", arg = arg)
  }
  scale <- max(abs(K))
  if (max(abs(K - t(K))) > 1e-8 * max(scale, 1e-300) + 1e-12) {
    slam_stop("`", name, "` is not symmetric.", arg = arg)
  }
  if (any(diag(K) < 0)) slam_stop("`", name, "` has a negative diagonal element.", arg = arg)
  K <- (K + t(K)) / 2
  storage.mode(K) <- "double"
  check_psd(K, name)
  dimnames(K) <- list(ids, ids)
  K
}

#' Check that a symmetric matrix is positive semi-definite
#'
#' A cheap necessary condition (every 2 x 2 principal minor non-negative:
#' `K_ij^2 <= K_ii K_jj`) is checked for every size. Up to `max_full` rows the
#' full check follows: a Cholesky factorisation (success proves positive
#' definiteness), and otherwise the eigenvalues, whose minimum must be at least
#' `-1e-8` times the largest absolute eigenvalue. Larger matrices only get the
#' cheap check, because a full check in R costs O(r^3) with reference BLAS.
#'
#' @param K symmetric double matrix.
#' @param name how to name it in messages.
#' @param max_full largest size for the full check.
#' @noRd
check_psd <- function(K, name, max_full = 2500L, arg = slam_arg_name(name)) {
  d <- diag(K)
  bound <- sqrt(outer(d, d))
  if (any(abs(K) > bound * (1 + 1e-8) + 1e-12 * max(d, 1e-300))) {
    slam_stop("`", name, "` is not positive semi-definite (an off-diagonal element is larger ",
              "than the geometric mean of its two diagonal elements).", arg = arg)
  }
  if (nrow(K) > max_full) return(invisible(TRUE))
  if (!inherits(try(chol(K), silent = TRUE), "try-error")) return(invisible(TRUE))
  ev <- eigen(K, symmetric = TRUE, only.values = TRUE)$values
  if (min(ev) < -1e-8 * max(abs(ev))) {
    slam_stop("`", name, "` is not positive semi-definite (smallest eigenvalue ",
              format(min(ev), digits = 3), ").", arg = arg)
  }
  invisible(TRUE)
}

#' The quantities a saved draw can hold, in the sampler's order (see `save_draws`)
#' @noRd
slam_saved_quantities <- c("Lambda", "B", "BF", "psi", "h2", "h2F", "h2_total", "sigma2_b", "delta", "family")

#' Check `save_draws`: NULL (every quantity) or names from
#' `slam_saved_quantities`; psi is always added (it counts the draws)
#' @noRd
check_save_draws <- function(save_draws) {
  if (is.null(save_draws)) return(slam_saved_quantities)
  if (!is.character(save_draws) || anyNA(save_draws)) {
    slam_stop("`save_draws` must be NULL (save every quantity) or a character vector of names among ",
              paste0("'", slam_saved_quantities, "'", collapse = ", "), ".", arg = "save_draws")
  }
  bad <- setdiff(save_draws, slam_saved_quantities)
  if (length(bad)) {
    slam_stop("`save_draws` has unknown quantities ", paste0("'", bad, "'", collapse = ", "),
              "; the quantities are ", paste0("'", slam_saved_quantities, "'", collapse = ", "), ".",
              arg = "save_draws")
  }
  intersect(slam_saved_quantities, c(save_draws, "psi"))
}
