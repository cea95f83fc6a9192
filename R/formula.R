# From a formula (lme4 syntax) and data to the matrices of the model:
# Y (n x p), X (n x b), XF (n x bF), and one (Z, K) pair per random-effect term.
# The random-effect syntax is read with lme4's own helpers (findbars, nobars,
# subbars, mkReTrms); nothing here parses formulas by hand.

#' Parse a SLAMglmm formula into model matrices
#'
#' @param formula two-sided formula, `Y ~ fixed + (1 | g1) + (1 | g2)`.
#' @param data data frame or NULL.
#' @param factor_formula NULL or a one-sided formula of the factors' fixed
#'   effects and random-effect terms, e.g. `~ sex + (1 | animal)`.
#' @param relmat named list of relationship matrices (or pedigree data frames).
#' @return A list with `Y` (n x p double matrix with trait names), `X`, `XF`,
#'   `penalized`, `terms` (named list of random-effect terms in formula order,
#'   each with `name`, `Z`, `K` (NULL for the identity), `levels`,
#'   `relmat_given`, `pedigree`), `formula`, `factor_formula` (the fixed-effect
#'   formula of the factors) and `factor_terms` (names of the random-effect
#'   terms that act on the factors, a subset of `names(terms)` in formula order).
#' @noRd
slam_parse_formula <- function(formula, data = NULL, factor_formula = NULL, relmat = list()) {
  formula <- check_formula(formula)
  data <- check_data(data)
  env <- environment(formula)
  if (is.null(env)) env <- parent.frame()
  formula <- expand_dot(formula, data, env)

  Y <- slam_response(formula, data, env)
  n <- nrow(Y)
  if (!is.null(data) && nrow(data) != n) {
    slam_stop("the response has ", n, " rows but `data` has ", nrow(data), " rows.")
  }
  # a data frame with the right number of rows, so that variables not in
  # `data` are looked up in the formula's environment with the right length
  frame_data <- if (is.null(data)) data.frame(row.names = seq_len(n)) else data

  rhs <- one_sided(formula)
  mf <- slam_model_frame(rhs, frame_data, env, "the formula")

  fixed <- lme4::nobars(rhs)
  if (is.null(fixed)) fixed <- stats::as.formula("~ 1", env = env)
  X <- slam_design(fixed, mf, intercept = NA)
  check_full_rank(X, "fixed-effect")
  penalized <- colnames(X) != "(Intercept)"

  terms <- slam_random_terms(rhs, mf)
  names_terms <- vapply(terms, function(t) t$name, "")

  if (is.null(factor_formula)) {
    factor_fixed <- fixed
    XF <- slam_design(fixed, mf, intercept = FALSE)
    factor_terms <- names_terms
  } else {
    factor_formula <- check_factor_formula(factor_formula)
    factor_terms <- slam_factor_terms(factor_formula, names_terms)
    factor_fixed <- factor_formula
    if (length(lme4::findbars(factor_formula))) {
      factor_fixed <- lme4::nobars(factor_formula)
      if (is.null(factor_fixed)) factor_fixed <- stats::as.formula("~ 1")
      environment(factor_fixed) <- environment(factor_formula)
    }
    mfF <- slam_model_frame(factor_fixed, frame_data, environment(factor_fixed), "`factor_formula`")
    XF <- slam_design(factor_fixed, mfF, intercept = FALSE)
    check_full_rank(XF, "factor fixed-effect (`factor_formula`)")
  }

  relmat <- check_relmat_list(relmat, names_terms)
  terms <- lapply(terms, function(t) slam_term_matrices(t, relmat[[t$name]]))
  names(terms) <- names_terms

  list(Y = Y, X = X, XF = XF, penalized = penalized, terms = terms,
       formula = formula, factor_formula = factor_fixed, factor_terms = factor_terms)
}

#' Check the model formula
#' @noRd
check_formula <- function(formula) {
  if (!inherits(formula, "formula")) {
    slam_stop("`formula` must be a formula such as Y ~ x + (1 | g).")
  }
  if (length(formula) != 3L) {
    slam_stop("`formula` must be two-sided: a response (a matrix or cbind(y1, y2, ...)) ",
              "on the left of ~.")
  }
  formula
}

#' Expand `.` on the right-hand side to the columns of `data`
#'
#' As in lm(): `.` stands for every column of `data` not used in the response.
#' @noRd
expand_dot <- function(formula, data, env) {
  if (!("." %in% all.vars(formula[[3L]]))) return(formula)
  if (is.null(data)) slam_stop("`.` in `formula` needs `data`.")
  out <- stats::formula(stats::terms(formula, data = data))
  attributes(out) <- NULL
  out <- stats::as.formula(out, env = env)
  out
}

#' Check the data argument
#' @noRd
check_data <- function(data) {
  if (is.null(data)) return(NULL)
  if (is.list(data) && !is.data.frame(data)) data <- as.data.frame(data)
  if (!is.data.frame(data)) {
    slam_stop("`data` must be a data frame (or NULL to take variables from the ",
              "formula's environment).")
  }
  data
}

#' The one-sided formula of the right-hand side
#' @noRd
one_sided <- function(formula) {
  rhs <- formula[-2L]
  environment(rhs) <- environment(formula)
  rhs
}

#' Evaluate the response of the formula
#'
#' The left-hand side is evaluated in `data` (then the formula's environment):
#' a numeric matrix, a numeric vector or `cbind(y1, y2, ...)`.
#'
#' @return An n x p double matrix with column names (trait names; default
#'   `y1`, ..., `yp`).
#' @noRd
slam_response <- function(formula, data, env) {
  lhs <- formula[[2L]]
  if (is.call(lhs) && identical(lhs[[1L]], as.name("cbind"))) check_cbind_columns(lhs, data, env)
  Y <- tryCatch(
    eval(lhs, envir = if (is.null(data)) env else data, enclos = env),
    error = function(e) {
      slam_stop("could not evaluate the response '", deparse1(lhs), "': ",
                conditionMessage(e))
    })
  if (is.data.frame(Y)) {
    bad <- names(Y)[!vapply(Y, is.numeric, TRUE)]
    if (length(bad)) {
      slam_stop("the response must be numeric; trait(s) ",
                paste0("'", bad, "'", collapse = ", "), " are not.")
    }
    Y <- as.matrix(Y)
  }
  if (is(Y, "Matrix")) Y <- as.matrix(Y)
  if (is.null(dim(Y))) {
    if (!is.atomic(Y)) {
      slam_stop("the response '", deparse1(lhs), "' must be a numeric matrix or vector.")
    }
    nm <- if (is.name(lhs)) as.character(lhs) else "y1"
    Y <- matrix(Y, ncol = 1L, dimnames = list(names(Y), nm))
  }
  if (length(dim(Y)) != 2L) {
    slam_stop("the response '", deparse1(lhs), "' must be a matrix (n x p).")
  }
  if (is.null(colnames(Y))) {
    colnames(Y) <- paste0("y", seq_len(ncol(Y)))
  } else {
    empty <- is.na(colnames(Y)) | colnames(Y) == ""
    colnames(Y)[empty] <- paste0("y", which(empty))
  }
  if (!is.numeric(Y) && !all(is.na(Y) & is.logical(Y))) {
    slam_stop("the response must be numeric; trait(s) ",
              paste0("'", colnames(Y), "'", collapse = ", "), " are of type ", typeof(Y), ".")
  }
  if (is.logical(Y)) storage.mode(Y) <- "double"
  check_response(Y)
}

#' Check each column of a cbind() response on its own
#'
#' So that a non-numeric column is named precisely (cbind() of a character
#' and a numeric column would give a character matrix).
#' @noRd
check_cbind_columns <- function(lhs, data, env) {
  args <- as.list(lhs)[-1L]
  labels <- names(args)
  if (is.null(labels)) labels <- rep("", length(args))
  for (i in seq_along(args)) {
    lab <- if (nzchar(labels[i])) labels[i] else deparse1(args[[i]])
    v <- tryCatch(eval(args[[i]], envir = if (is.null(data)) env else data, enclos = env),
                  error = function(e) {
                    slam_stop("could not evaluate trait '", lab, "' of the response: ",
                              conditionMessage(e))
                  })
    if (!is.numeric(v) && !(is.logical(v) && all(is.na(v)))) {
      slam_stop("the response must be numeric; trait '", lab, "' is of class ",
                paste(class(v), collapse = "/"), ".")
    }
  }
  invisible(TRUE)
}

#' Model frame of all variables of a one-sided formula
#'
#' Random-effect bars are replaced by `+` (lme4::subbars) so that grouping
#' factors are included. Missing values are kept (na.pass) and then reported.
#' @noRd
slam_model_frame <- function(rhs, data, env, where) {
  full <- lme4::subbars(rhs)
  environment(full) <- env
  mf <- tryCatch(
    stats::model.frame(full, data = data, na.action = stats::na.pass,
                       drop.unused.levels = TRUE),
    error = function(e) slam_stop("could not build the model frame of ", where, ": ",
                                  conditionMessage(e)))
  if (nrow(mf) != nrow(data)) {
    slam_stop("the variables of ", where, " must have one value per row of the response (",
              nrow(data), ").")
  }
  check_no_na(mf, where)
  mf
}

#' A fixed-effect design matrix
#'
#' @param fixed one-sided formula without random terms.
#' @param mf model frame holding its variables.
#' @param intercept NA: as in the formula; FALSE: the design of the formula
#'   with an intercept, without its intercept column (so that factor codings
#'   are the same as with an intercept).
#' @return A double matrix with column names.
#' @noRd
slam_design <- function(fixed, mf, intercept = NA) {
  tt <- stats::terms(fixed, data = mf)
  if (!is.na(intercept) && !intercept) attr(tt, "intercept") <- 1L
  X <- stats::model.matrix(tt, mf)
  if (!is.na(intercept) && !intercept) {
    X <- X[, colnames(X) != "(Intercept)", drop = FALSE]
  }
  attr(X, "assign") <- NULL
  attr(X, "contrasts") <- NULL
  rownames(X) <- NULL
  storage.mode(X) <- "double"
  X
}

#' Check a user-given factor formula
#' @noRd
check_factor_formula <- function(factor_formula) {
  if (!inherits(factor_formula, "formula")) {
    slam_stop("`factor_formula` must be NULL or a one-sided formula such as ~ sex + age ",
              "or ~ sex + (1 | animal).")
  }
  if (length(factor_formula) != 2L) {
    slam_stop("`factor_formula` must be one-sided (no response), e.g. ~ sex + age.")
  }
  factor_formula
}

#' The random-effect terms of the factor formula
#'
#' Each must be a random intercept `(1 | g)` whose grouping factor is also a
#' random-effect term of the trait formula.
#'
#' @param factor_formula the checked one-sided factor formula.
#' @param trait_terms names of the trait formula's terms (formula order).
#' @return The names of the factor terms, in the order of `trait_terms`.
#' @noRd
slam_factor_terms <- function(factor_formula, trait_terms) {
  bars <- lme4::findbars(factor_formula)
  if (length(bars) == 0L) return(character(0))
  nms <- vapply(bars, function(b) {
    g <- deparse1(b[[3L]])
    lhs <- b[[2L]]
    if (!(is.numeric(lhs) && length(lhs) == 1L && lhs == 1)) {
      slam_stop("random-effect term (", deparse1(b), ") of `factor_formula`: only random ",
                "intercepts (1 | ", g, ") are supported; random slopes are not.")
    }
    g
  }, "")
  dup <- nms[duplicated(nms)]
  if (length(dup)) {
    slam_stop("grouping factor '", dup[1L], "' appears more than once in `factor_formula`.")
  }
  bad <- setdiff(nms, trait_terms)
  if (length(bad)) {
    slam_stop("`factor_formula` has random-effect term(s) ",
              paste0("(1 | ", bad, ")", collapse = ", "),
              " that are not in `formula`; every random-effect term of the factors must also be ",
              "a term of the traits (terms of `formula`: ",
              if (length(trait_terms)) paste0("(1 | ", trait_terms, ")", collapse = ", ") else "none",
              ").")
  }
  trait_terms[trait_terms %in% nms]
}

#' The random-effect terms of a formula
#'
#' Uses lme4::findbars and lme4::mkReTrms (without its re-ordering of the
#' terms, so that terms stay in formula order). Only intercept terms `(1 | g)`
#' are supported; each grouping factor may appear once.
#'
#' @return A list with one element per term, in formula order: `name`
#'   (grouping factor, as written), `group` (the grouping factor, one value
#'   per row).
#' @noRd
slam_random_terms <- function(rhs, mf) {
  bars <- lme4::findbars(rhs)
  if (length(bars) == 0L) return(list())
  re <- tryCatch(lme4::mkReTrms(bars, mf, reorder.terms = FALSE),
                 error = function(e) slam_stop("could not build the random-effect terms: ",
                                               conditionMessage(e)))
  labels <- names(re$cnms)
  assign <- attr(re$flist, "assign")
  terms <- lapply(seq_along(re$cnms), function(i) {
    cn <- re$cnms[[i]]
    if (!identical(unname(cn), "(Intercept)")) {
      slam_stop("random-effect term for '", labels[i], "' has column(s) ",
                paste0("'", cn, "'", collapse = ", "), ": only random intercepts (1 | ",
                labels[i], ") are supported; random slopes are not.")
    }
    list(name = labels[i], group = re$flist[[assign[i]]])
  })
  dup <- labels[duplicated(labels)]
  if (length(dup)) {
    slam_stop("grouping factor '", dup[1L], "' appears in more than one random-effect term.")
  }
  terms
}

#' Z and K of one random-effect term
#'
#' With a relationship matrix `K`, the levels are its row names in its order
#' (levels absent from the data are kept: their columns of Z are zero), and
#' every level present in the data must be among them. A pedigree data frame
#' (id, dam, sire) is turned into its additive relationship matrix first, so
#' that every individual of the pedigree (ancestors included) is a level.
#' Without one, the levels are those present in the data and K is the
#' identity (NULL).
#'
#' @param term list with `name` and `group`.
#' @param K NULL, the user's relationship matrix, or a pedigree data frame.
#' @return `term` with `Z` (n x r double matrix), `K` (r x r or NULL),
#'   `levels` (character r), `relmat_given` (logical), `pedigree` (logical:
#'   K came from a pedigree).
#' @noRd
slam_term_matrices <- function(term, K = NULL) {
  ids <- as.character(term$group)
  pedigree <- FALSE
  if (is.null(K)) {
    levels <- levels(droplevels(term$group))
  } else {
    if (is.data.frame(K)) {
      K <- relmat_from_pedigree(K, levels = unique(ids), term = term$name)
      pedigree <- TRUE
    }
    K <- check_relmat_matrix(K, term$name)
    levels <- rownames(K)
    missing <- setdiff(unique(ids), levels)
    if (length(missing)) {
      slam_stop("`relmat$", term$name, "` has no row for ", length(missing), " level(s) of '",
                term$name, "' present in the data, e.g. ",
                paste0("'", utils::head(missing, 5L), "'", collapse = ", "), ".")
    }
  }
  col <- match(ids, levels)
  Z <- matrix(0, nrow = length(ids), ncol = length(levels),
              dimnames = list(NULL, levels))
  Z[cbind(seq_along(ids), col)] <- 1
  term$Z <- Z
  term$K <- K
  term$levels <- levels
  term$relmat_given <- !is.null(K)
  term$pedigree <- pedigree
  term$group <- NULL
  term
}
