# From a formula (lme4 syntax) and data to the matrices of the model:
# Y (n x p), X (n x b), XF (n x bF), and one (Z, K) pair per random-effect term.
# The random-effect syntax is read with lme4's own helpers (findbars, nobars,
# subbars, mkReTrms); nothing here parses formulas by hand.

#' Parse a SLAMglmm formula into model matrices
#'
#' @param formula two-sided formula, `Y ~ fixed + (1 | g1) + (1 | g2)`, with
#'   at most some `offset(...)` terms on the right-hand side.
#' @param data data frame or NULL.
#' @param factor_formula NULL or a one-sided formula of the factors' fixed
#'   effects and random-effect terms, e.g. `~ sex + (1 | animal)`.
#' @param relmat named list of relationship matrices (or pedigree data frames).
#' @param family the families of the traits (see [slam_resolve_families()]);
#'   NULL: every trait gaussian.
#' @param weights NULL or known precision weights of the gaussian traits (see
#'   [slam_observation_data()]).
#' @return A list with `Y` (n x p double matrix with trait names, coded by
#'   family: see [slam_observation_data()]), `X`, `XF`, `penalized`, `terms`
#'   (named list of random-effect terms in formula order, each with `name`,
#'   `Z`, `K` (NULL for the identity), `levels`, `relmat_given`, `pedigree`),
#'   `formula`, `factor_formula` (the fixed-effect formula of the factors),
#'   `factor_terms` (names of the random-effect terms that act on the factors,
#'   a subset of `names(terms)` in formula order), and from
#'   [slam_observation_data()]: `family` (character, per trait),
#'   `n_categories` (integer, per trait), `levels` (named list, per trait: the
#'   class labels of probit and ordinal traits), `offset` (NULL or n x p: the
#'   families' offsets plus the formula's `offset()` terms), `weights` (NULL
#'   or n x p) and `families` (named list of `"slam_family"` objects).
#' @noRd
slam_parse_formula <- function(formula, data = NULL, factor_formula = NULL, relmat = list(),
                               family = NULL, weights = NULL) {
  formula <- check_formula(formula)
  data <- check_data(data)
  env <- environment(formula)
  if (is.null(env)) env <- parent.frame()
  formula <- expand_dot(formula, data, env)

  resp <- slam_response_columns(formula, data, env)
  n <- resp$n
  if (!is.null(data) && nrow(data) != n) {
    slam_stop("the response has ", n, " rows but `data` has ", nrow(data), " rows.", arg = "data")
  }
  if (inherits(family, "slam_probes")) {
    return(slam_parse_probes(formula, data, factor_formula, relmat, family, weights, resp, env))
  }
  if (inherits(family, "slam_curve")) {
    return(slam_parse_curves(formula, data, factor_formula, relmat, family, weights, resp, env))
  }
  traits <- names(resp$cols)
  check_response_shape(n, traits)
  families <- slam_resolve_families(family, traits)
  # a data frame with the right number of rows, so that variables not in
  # `data` are looked up in the formula's environment with the right length
  frame_data <- if (is.null(data)) data.frame(row.names = seq_len(n)) else data

  rhs <- one_sided(formula)
  offset <- slam_formula_offset(rhs, frame_data, env, traits)
  obs <- slam_observation_data(resp$cols, families, n, weights = weights, offset = offset)
  Y <- obs$Y
  if (!is.null(resp$rownames)) rownames(Y) <- resp$rownames

  mf <- slam_model_frame(rhs, frame_data, env, "the formula", arg = "formula")

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
    mfF <- slam_model_frame(factor_fixed, frame_data, environment(factor_fixed), "`factor_formula`",
                            arg = "factor_formula")
    XF <- slam_design(factor_fixed, mfF, intercept = FALSE)
    check_full_rank(XF, "factor fixed-effect (`factor_formula`)", arg = "factor_formula")
  }

  relmat <- check_relmat_list(relmat, names_terms)
  terms <- lapply(terms, function(t) slam_term_matrices(t, relmat[[t$name]]))
  names(terms) <- names_terms

  list(Y = Y, X = X, XF = XF, penalized = penalized, terms = terms,
       formula = formula, factor_formula = factor_fixed, factor_terms = factor_terms,
       family = obs$family, n_categories = obs$n_categories, levels = obs$levels,
       offset = obs$offset, weights = obs$weights, families = obs$families)
}

#' slam_parse_formula() for a response of probes (family slam_probes())
#'
#' The traits are the genes; `Y` holds each gene's mean of its probes per row
#' (for reference: the sampler reads the probes themselves, `probes`).
#' @noRd
slam_parse_probes <- function(formula, data, factor_formula, relmat, family, weights, resp, env) {
  n <- resp$n
  if (!is.null(weights)) {
    slam_stop("`weights` are not available with slam_probes(): the probes' precisions are ",
              "estimated.", arg = "weights")
  }
  layout <- slam_probe_layout(resp$cols, family, n)
  genes <- layout$genes
  check_response_shape(n, genes)
  Y <- vapply(seq_along(genes), function(g) {
    rowMeans(layout$P[, layout$gene_of == g, drop = FALSE], na.rm = TRUE)
  }, numeric(n))
  Y <- matrix(Y, n, length(genes), dimnames = list(resp$rownames, genes))
  Y[is.nan(Y)] <- NA
  frame_data <- if (is.null(data)) data.frame(row.names = seq_len(n)) else data
  rhs <- one_sided(formula)
  if (!is.null(slam_formula_offset(rhs, frame_data, env, genes))) {
    slam_stop("offset() terms are not available with slam_probes().", arg = "formula")
  }
  # everything but the response as for other families, on a stand-in Gaussian response
  stand_in <- stats::as.formula(call("~", quote(.slam_probe_genes), rhs[[2L]]), env = env)
  frame <- frame_data
  frame$.slam_probe_genes <- Y
  parsed <- slam_parse_formula(stand_in, data = frame, factor_formula = factor_formula,
                               relmat = relmat, family = NULL, weights = NULL)
  parsed$formula <- formula
  parsed$Y <- Y
  parsed$family <- stats::setNames(rep("probes", length(genes)), genes)
  parsed$n_categories <- stats::setNames(integer(length(genes)), genes)
  parsed$levels <- stats::setNames(vector("list", length(genes)), genes)
  parsed$families <- stats::setNames(rep(list(family), length(genes)), genes)
  parsed$probes <- layout
  parsed
}

#' Check the model formula
#' @noRd
check_formula <- function(formula) {
  if (!inherits(formula, "formula")) {
    slam_stop("`formula` must be a formula such as Y ~ x + (1 | g).", arg = "formula")
  }
  if (length(formula) != 3L) {
    slam_stop("`formula` must be two-sided: a response (a matrix or cbind(y1, y2, ...)) ",
              "on the left of ~.", arg = "formula")
  }
  formula
}

#' Expand `.` on the right-hand side to the columns of `data`
#'
#' As in lm(): `.` stands for every column of `data` not used in the response.
#' @noRd
expand_dot <- function(formula, data, env) {
  if (!("." %in% all.vars(formula[[3L]]))) return(formula)
  if (is.null(data)) slam_stop("`.` in `formula` needs `data`.", arg = "data")
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
              "formula's environment).", arg = "data")
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

#' Evaluate the response of the formula, column by column
#'
#' The left-hand side is evaluated in `data` (then the formula's environment):
#' a matrix, a data frame, a vector or factor (one trait), or
#' `cbind(y1, y2, ...)`, whose arguments are evaluated one by one so that
#' factors and logical columns keep their class (cbind() itself would turn
#' them into numbers). Trait names: the column names, the names of `cbind()`
#' arguments (`cbind(a = y1)`) or the variable names of `cbind()` arguments
#' and of a vector response; unnamed columns are called `y<j>` (j = the
#' column's position).
#'
#' @return A list with `cols` (named list of the raw columns, in trait order),
#'   `n` (number of rows) and `rownames` (NULL or the row names of the
#'   response).
#' @noRd
slam_response_columns <- function(formula, data, env) {
  lhs <- formula[[2L]]
  where <- if (is.null(data)) env else data
  pieces <- list()
  if (is.call(lhs) && identical(lhs[[1L]], as.name("cbind"))) {
    args <- as.list(lhs)[-1L]
    labels <- names(args)
    if (is.null(labels)) labels <- rep("", length(args))
    for (i in seq_along(args)) {
      lab <- if (nzchar(labels[i])) labels[i] else deparse1(args[[i]])
      v <- tryCatch(eval(args[[i]], envir = where, enclos = env),
                    error = function(e) {
                      slam_stop("could not evaluate trait '", lab, "' of the response: ",
                                conditionMessage(e), arg = "formula")
                    })
      default <- if (nzchar(labels[i])) labels[i] else
        if (is.name(args[[i]])) as.character(args[[i]]) else ""
      pieces <- c(pieces, list(slam_response_piece(v, default, lab)))
    }
  } else {
    v <- tryCatch(eval(lhs, envir = where, enclos = env),
                  error = function(e) {
                    slam_stop("could not evaluate the response '", deparse1(lhs), "': ",
                              conditionMessage(e), arg = "formula")
                  })
    default <- if (is.name(lhs)) as.character(lhs) else ""
    pieces <- list(slam_response_piece(v, default, deparse1(lhs)))
  }
  cols <- do.call(c, lapply(pieces, function(pc) pc$cols))
  if (length(cols) == 0L) slam_stop("the response has no column (trait).", arg = "formula")
  nm <- names(cols)
  empty <- is.na(nm) | nm == ""
  nm[empty] <- paste0("y", which(empty))
  names(cols) <- nm
  lens <- vapply(cols, length, 1L)
  if (any(lens != lens[1L])) {
    bad <- which(lens != lens[1L])[1L]
    slam_stop("the traits of the response must have the same length; trait '", nm[bad], "' has ",
              lens[bad], " values but trait '", nm[1L], "' has ", lens[1L], ".", arg = "formula")
  }
  rn <- NULL
  for (pc in pieces) if (is.null(rn) && !is.null(pc$rownames)) rn <- pc$rownames
  list(cols = cols, n = unname(lens[1L]), rownames = rn)
}

#' The columns of one evaluated piece of the response
#'
#' @param v the value.
#' @param default the trait name of a single column without its own name ("" for
#'   none).
#' @param lab how to name the piece in messages.
#' @return A list with `cols` (named list of vectors or factors) and
#'   `rownames`.
#' @noRd
slam_response_piece <- function(v, default, lab) {
  if (is(v, "Matrix")) v <- as.matrix(v)
  if (is.data.frame(v)) {
    rn <- if (.row_names_info(v) > 0L) row.names(v) else NULL
    cols <- lapply(v, function(x) if (is.matrix(x) && ncol(x) == 1L) drop(x) else x)
    bad <- names(cols)[vapply(cols, function(x) !is.null(dim(x)), TRUE)]
    if (length(bad)) {
      slam_stop("the response '", lab, "' has matrix column(s) ",
                paste0("'", bad, "'", collapse = ", "), "; give the traits as plain columns.",
                arg = "formula")
    }
    names(cols) <- names(v)
    return(list(cols = cols, rownames = rn))
  }
  if (!is.null(dim(v))) {
    if (length(dim(v)) != 2L) {
      slam_stop("the response '", lab, "' must be a matrix (n x p).", arg = "formula")
    }
    cn <- colnames(v)
    if (is.null(cn)) cn <- rep("", ncol(v))
    cols <- lapply(seq_len(ncol(v)), function(j) {
      x <- v[, j]
      names(x) <- NULL
      x
    })
    names(cols) <- cn
    return(list(cols = cols, rownames = rownames(v)))
  }
  if (!is.atomic(v) && !is.factor(v)) {
    slam_stop("the response '", lab, "' must be a numeric matrix or vector.", arg = "formula")
  }
  rn <- names(v)
  if (!is.factor(v)) names(v) <- NULL
  list(cols = stats::setNames(list(v), default), rownames = rn)
}

#' The offset of the formula's `offset(...)` terms
#'
#' Evaluated as in lm() and lme4 (each term in `data`, then in the formula's
#' environment; several terms add up).
#'
#' @param rhs the one-sided formula of the right-hand side.
#' @param data a data frame with one row per row of the response.
#' @param env the formula's environment.
#' @param traits the trait names.
#' @return NULL (no offset term) or an n x p double matrix.
#' @noRd
slam_formula_offset <- function(rhs, data, env, traits) {
  tt <- tryCatch(stats::terms(lme4::subbars(rhs)),
                 error = function(e) slam_stop("could not read the terms of `formula`: ",
                                               conditionMessage(e), arg = "formula"))
  off <- attr(tt, "offset")
  if (is.null(off)) return(NULL)
  vars <- as.list(attr(tt, "variables"))[-1L]
  n <- nrow(data)
  total <- NULL
  for (i in off) {
    lab <- deparse1(vars[[i]])
    v <- tryCatch(eval(vars[[i]], envir = data, enclos = env),
                  error = function(e) {
                    slam_stop("could not evaluate ", lab, " in `formula`: ", conditionMessage(e),
                              arg = "offset")
                  })
    m <- slam_offset_columns(v, n, traits, paste0("offset (", lab, " in `formula`)"),
                             arg = "offset")
    total <- if (is.null(total)) m else total + m
  }
  total
}

#' Model frame of all variables of a one-sided formula
#'
#' Random-effect bars are replaced by `+` (lme4::subbars) so that grouping
#' factors are included. Missing values are kept (na.pass) and then reported.
#' @noRd
slam_model_frame <- function(rhs, data, env, where, arg = "formula") {
  full <- lme4::subbars(rhs)
  environment(full) <- env
  mf <- tryCatch(
    stats::model.frame(full, data = data, na.action = stats::na.pass,
                       drop.unused.levels = TRUE),
    error = function(e) slam_stop("could not build the model frame of ", where, ": ",
                                  conditionMessage(e), arg = arg))
  if (nrow(mf) != nrow(data)) {
    slam_stop("the variables of ", where, " must have one value per row of the response (",
              nrow(data), ").", arg = arg)
  }
  # offset() terms are checked (finite, right size) by slam_observation_data()
  offsets <- names(mf)[attr(attr(mf, "terms"), "offset")]
  check_no_na(mf, where, skip = offsets)
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
              "or ~ sex + (1 | animal).", arg = "factor_formula")
  }
  if (length(factor_formula) != 2L) {
    slam_stop("`factor_formula` must be one-sided (no response), e.g. ~ sex + age.",
              arg = "factor_formula")
  }
  if (!is.null(attr(stats::terms(lme4::subbars(factor_formula)), "offset"))) {
    slam_stop("`factor_formula` cannot have an offset() term; put offsets in `formula` (they ",
              "act on the traits) or in the family (e.g. slam_negbin(offset = ...)).",
              arg = "factor_formula")
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
                "intercepts (1 | ", g, ") are supported; random slopes are not.",
                arg = "factor_formula")
    }
    g
  }, "")
  dup <- nms[duplicated(nms)]
  if (length(dup)) {
    slam_stop("grouping factor '", dup[1L], "' appears more than once in `factor_formula`.",
              arg = "factor_formula")
  }
  bad <- setdiff(nms, trait_terms)
  if (length(bad)) {
    slam_stop("`factor_formula` has random-effect term(s) ",
              paste0("(1 | ", bad, ")", collapse = ", "),
              " that are not in `formula`; every random-effect term of the factors must also be ",
              "a term of the traits (terms of `formula`: ",
              if (length(trait_terms)) paste0("(1 | ", trait_terms, ")", collapse = ", ") else "none",
              ").", arg = "factor_formula")
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
                                               conditionMessage(e), arg = "formula"))
  labels <- names(re$cnms)
  assign <- attr(re$flist, "assign")
  terms <- lapply(seq_along(re$cnms), function(i) {
    cn <- re$cnms[[i]]
    if (!identical(unname(cn), "(Intercept)")) {
      slam_stop("random-effect term for '", labels[i], "' has column(s) ",
                paste0("'", cn, "'", collapse = ", "), ": only random intercepts (1 | ",
                labels[i], ") are supported; random slopes are not.", arg = "formula")
    }
    list(name = labels[i], group = re$flist[[assign[i]]])
  })
  dup <- labels[duplicated(labels)]
  if (length(dup)) {
    slam_stop("grouping factor '", dup[1L], "' appears in more than one random-effect term.",
              arg = "formula")
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
                paste0("'", utils::head(missing, 5L), "'", collapse = ", "), ".", arg = "relmat")
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
