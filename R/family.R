# Observation models ("families") of the traits: the constructors
# slam_gaussian(), slam_probit(), slam_ordinal(), slam_negbin() and
# slam_poisson(), the reading of the user's `family` argument
# (slam_resolve_families()), and the coding of the response, offsets and
# weights for the sampler (slam_observation_data()).

#' Observation models (families) of the traits
#'
#' Each trait (column of the response) of a [SLAMglmm()] model has an
#' observation model that links the observed value `y` to the trait's latent
#' value `h` (the linear predictor: fixed effects, factors, random effects and
#' the model's residual). These functions make the family objects given to the
#' `family` argument of [SLAMglmm()]; family names (e.g. `"probit"`) and the
#' `stats` families `gaussian()`, `binomial(link = "probit")` and `poisson()`
#' can be used instead.
#'
#' \describe{
#'   \item{`slam_gaussian()`}{`y = h` (identity link), as in a linear mixed
#'     model. Missing values are allowed; known per-entry precision weights
#'     can be given with the `weights` argument of [SLAMglmm()]
#'     (`y = h + e`, `e ~ N(0, 1 / w)` on top of the model's residual).}
#'   \item{`slam_probit()`}{binary traits, `y = 1(h > 0)` (a threshold or
#'     probit model). The trait's residual variance is fixed at 1, so its
#'     variance components and `h2` are on the liability scale. The response
#'     is 0/1, `TRUE`/`FALSE` or a two-level factor (first level = 0, second
#'     level = 1, as in [stats::glm()]).}
#'   \item{`slam_ordinal()`}{ordered categories `1, ..., C` (probit link):
#'     `y = c` when `g_{c-1} < h <= g_c`, with cut-points
#'     `-Inf = g_0 < 0 = g_1 < g_2 < ... < g_{C-1} < g_C = Inf`; the first
#'     cut-point is fixed at 0 and the others are estimated, and the residual
#'     variance is fixed at 1 (liability scale). The response is an ordered
#'     factor, a factor (classes in the order of its levels; unused levels
#'     are dropped) or whole numbers (the sorted distinct observed values are
#'     the classes).}
#'   \item{`slam_negbin()`}{counts, `y ~ NB(mean = exp(h + offset), size =
#'     r_j)`: negative binomial with a log link and a dispersion `r_j`
#'     estimated per trait (prior: [slam_prior()]`$negbin`). The latent
#'     counts are drawn by an exact Metropolis-Hastings step per entry
#'     (`latent = "metropolis"`, the default: fast, nearly independent draws)
#'     or by Polya-Gamma augmentation (`latent = "polya-gamma"`, Polson, Scott
#'     and Windle 2013) where the shape `y + r` is at most 13, the
#'     Metropolis step elsewhere (the augmentation mixes badly for large
#'     counts); both leave the same posterior invariant.}
#'   \item{`slam_poisson()`}{counts, `y ~ Poisson(exp(h + offset))`, where `h`
#'     contains the model's residual: a Poisson-lognormal model whose
#'     residual variance is the over-dispersion.}
#' }
#'
#' Missing values (NA) are allowed in every family.
#'
#' @section Offsets:
#' An offset is a known term added to the linear predictor: `h + offset`
#' (for counts typically the log of a library size or of an exposure time).
#' It can be given to the family (`slam_negbin(offset = log(lib_size))`) or as
#' an `offset(...)` term of the formula, which applies to every trait; both add
#' up. A family's offset is a numeric vector with one value per row of the
#' data (the same for every trait that has this family object) or a matrix
#' with one row per row of the data and one column per trait having this
#' family object (columns named by those traits, or in their order). Offsets
#' are allowed for every family: for a gaussian trait they mean that
#' `y - offset` is modelled, for probit and ordinal traits they shift the
#' liability. Offsets must be finite.
#'
#' @param offset `NULL` (no offset), a numeric vector with one value per row of
#'   the data, or a numeric matrix with one row per row of the data and one
#'   column per trait having this family (see the section Offsets).
#' @param latent for `slam_negbin()`: how the latent counts are drawn,
#'   `"metropolis"` (default) or `"polya-gamma"` (see above).
#' @return An object of class `"slam_family"`: a list with `family` (one of
#'   `"gaussian"`, `"probit"`, `"ordinal"`, `"negbin"`, `"poisson"`), `link`
#'   (`"identity"`, `"probit"` or `"log"`), `offset` (as given) and `label` (a
#'   description for printing).
#' @seealso [SLAMglmm()]
#' @examples
#' slam_negbin()
#' fam <- list(awn = slam_probit(), culm_class = "ordinal")  # other traits gaussian
#' fam
#' slam_poisson(offset = log(c(1200, 3400, 2100)))
#' @name slam_family
NULL

#' @rdname slam_family
#' @export
slam_gaussian <- function(offset = NULL) {
  new_slam_family("gaussian", offset, "slam_gaussian")
}

#' @rdname slam_family
#' @export
slam_probit <- function(offset = NULL) {
  new_slam_family("probit", offset, "slam_probit")
}

#' @rdname slam_family
#' @export
slam_ordinal <- function(offset = NULL) {
  new_slam_family("ordinal", offset, "slam_ordinal")
}

#' @rdname slam_family
#' @export
slam_negbin <- function(offset = NULL, latent = c("metropolis", "polya-gamma")) {
  if (!is.character(latent) || anyNA(latent) || !all(latent %in% c("metropolis", "polya-gamma"))) {
    slam_stop("`latent` of slam_negbin() must be \"metropolis\" or \"polya-gamma\".", arg = "family")
  }
  fam <- new_slam_family("negbin", offset, "slam_negbin")
  fam$latent <- match.arg(latent)
  fam
}

#' @rdname slam_family
#' @export
slam_poisson <- function(offset = NULL) {
  new_slam_family("poisson", offset, "slam_poisson")
}

#' Links and labels of the families
#' @noRd
slam_family_table <- list(
  gaussian = list(link = "identity", label = "gaussian (identity link)"),
  probit = list(link = "probit", label = "binary (probit link)"),
  ordinal = list(link = "probit", label = "ordinal (probit link, cut-points estimated)"),
  negbin = list(link = "log", label = "negative binomial (log link)"),
  poisson = list(link = "log", label = "Poisson-lognormal (log link)")
)

#' Accepted spellings of the family names (lower case)
#' @noRd
slam_family_spellings <- list(
  gaussian = c("gaussian", "normal"),
  probit = c("probit", "binary", "threshold"),
  ordinal = c("ordinal", "ordered"),
  negbin = c("negbin", "negative.binomial", "negative_binomial", "nbinom", "nb"),
  poisson = c("poisson")
)

#' Make a slam_family object
#'
#' @param family one of the names of `slam_family_table`.
#' @param offset NULL, a numeric vector or a numeric matrix.
#' @param fun name of the constructor, for messages.
#' @noRd
new_slam_family <- function(family, offset = NULL, fun = paste0("slam_", family)) {
  info <- slam_family_table[[family]]
  offset <- check_family_offset(offset, paste0("`offset` of ", fun, "()"))
  structure(list(family = family, link = info$link, offset = offset, label = info$label),
            class = "slam_family")
}

#' Check the type of a family's offset (its size is checked against the data
#' by slam_observation_data())
#'
#' @return NULL, a double vector or a double matrix.
#' @noRd
check_family_offset <- function(offset, what) {
  if (is.null(offset)) return(NULL)
  if (is(offset, "Matrix")) offset <- as.matrix(offset)
  if (is.data.frame(offset)) {
    if (!all(vapply(offset, is.numeric, TRUE))) {
      slam_stop(what, " must be numeric; the data frame has non-numeric column(s).", arg = "family")
    }
    offset <- as.matrix(offset)
  }
  if (!is.numeric(offset) || (!is.null(dim(offset)) && length(dim(offset)) != 2L)) {
    slam_stop(what, " must be NULL, a numeric vector (one value per row) or a numeric matrix ",
              "(one row per row of the data, one column per trait); it is of class ",
              paste(class(offset), collapse = "/"), ".", arg = "family")
  }
  if (any(!is.finite(offset))) {
    slam_stop(what, " has non-finite values (NA, NaN or Inf).", arg = "family")
  }
  if (is.null(dim(offset))) {
    offset <- as.double(offset)
  } else {
    storage.mode(offset) <- "double"
  }
  offset
}

#' Print a family of SLAMglmm
#'
#' @param x a `"slam_family"` object.
#' @param ... not used.
#' @return `x`, invisibly.
#' @export
print.slam_family <- function(x, ...) {
  cat("SLAMglmm family: ", x$label, "\n", sep = "")
  off <- x$offset
  if (!is.null(off)) {
    cat("  offset: ", if (is.null(dim(off))) paste0("a vector of length ", length(off)) else
      paste0("a ", nrow(off), " x ", ncol(off), " matrix",
             if (!is.null(colnames(off))) paste0(" (traits ", paste(colnames(off), collapse = ", "),
                                                 ")") else ""),
        "\n", sep = "")
  }
  invisible(x)
}

#' A short list of the accepted family names, for messages
#' @noRd
slam_family_names_text <- function() {
  paste0(vapply(names(slam_family_spellings), function(f) {
    other <- setdiff(slam_family_spellings[[f]], f)
    if (length(other)) paste0("\"", f, "\" (or ", paste0("\"", other, "\"", collapse = ", "), ")")
    else paste0("\"", f, "\"")
  }, ""), collapse = ", ")
}

#' Read the `family` argument
#'
#' @param family the user's argument: `NULL` (every trait gaussian); one family
#'   for all traits (a name, a `stats::family` object or a `slam_family`); a
#'   named list or named character vector giving the family of some traits
#'   (the others gaussian); or an unnamed list / character vector with one
#'   family per trait, in trait order. Names are case-insensitive; see
#'   `slam_family_spellings` for the accepted spellings.
#' @param traits the trait names (columns of the response), in order.
#' @return A named list (names = `traits`, in trait order) of `"slam_family"`
#'   objects. Traits given the same family object share it (identical
#'   elements), which is how a family's offset is shared among its traits.
#' @noRd
slam_resolve_families <- function(family, traits) {
  traits <- as.character(traits)
  p <- length(traits)
  one_for_all <- function(f) stats::setNames(rep(list(f), p), traits)
  if (is.null(family)) return(one_for_all(slam_gaussian()))
  if (inherits(family, c("slam_family", "family")) || is.function(family)) {
    return(one_for_all(as_slam_family(family, NULL)))
  }
  if (is.factor(family)) family <- as.character(family)
  if (!(is.character(family) || (is.list(family) && !is.data.frame(family)))) {
    slam_stop("`family` must be a family name such as \"probit\", a family object such as ",
              "slam_probit() or binomial(link = \"probit\"), or a list or character vector of ",
              "them named by trait; it is of class ", paste(class(family), collapse = "/"), ".",
              arg = "family")
  }
  if (length(family) == 0L) return(one_for_all(slam_gaussian()))
  nm <- names(family)
  if (!is.null(nm) && !all(is.na(nm) | nm == "")) {
    empty <- which(is.na(nm) | nm == "")
    if (length(empty)) {
      slam_stop("`family` must name every element or none; element(s) ",
                paste(empty, collapse = ", "), " have no name (names given: ",
                paste0("'", nm[-empty], "'", collapse = ", "), ").", arg = "family")
    }
    if (anyDuplicated(nm)) {
      slam_stop("`family` names trait(s) more than once: ",
                paste0("'", unique(nm[duplicated(nm)]), "'", collapse = ", "), ".", arg = "family")
    }
    unknown <- setdiff(nm, traits)
    if (length(unknown)) {
      slam_stop("`family` names trait(s) ", paste0("'", unknown, "'", collapse = ", "),
                " that are not in the response (traits: ",
                paste0("'", traits, "'", collapse = ", "), ").", arg = "family")
    }
    out <- one_for_all(slam_gaussian())
    for (i in seq_along(family)) out[[nm[i]]] <- as_slam_family(family[[i]], nm[i])
    return(out)
  }
  if (length(family) == 1L) return(one_for_all(as_slam_family(family[[1L]], NULL)))
  if (length(family) != p) {
    slam_stop("`family` has ", length(family), " elements but the response has ", p,
              " trait(s): give one family for all traits, one per trait (in trait order), ",
              "or name the traits, e.g. family = list(", traits[1L], " = \"probit\").",
              arg = "family")
  }
  out <- lapply(seq_len(p), function(j) as_slam_family(family[[j]], traits[j]))
  stats::setNames(out, traits)
}

#' How to name the family of a trait (or of all traits) in messages
#' @noRd
slam_family_where <- function(trait) {
  if (is.null(trait)) "`family` (all traits)" else paste0("`family` of trait '", trait, "'")
}

#' One element of `family` as a slam_family
#'
#' @param x a name, a `stats::family`, a `slam_family`, or a function
#'   returning one of those when called without arguments (e.g. `binomial` or
#'   `slam_probit`).
#' @param trait the trait it is for (NULL: all traits), for messages.
#' @noRd
as_slam_family <- function(x, trait) {
  where <- slam_family_where(trait)
  if (is.function(x)) {
    x <- tryCatch(x(), error = function(e) {
      slam_stop(where, " is a function that failed when called without arguments: ",
                conditionMessage(e), arg = "family")
    })
    if (!inherits(x, c("slam_family", "family"))) {
      slam_stop(where, " is a function that does not return a family object.", arg = "family")
    }
  }
  if (inherits(x, "slam_family")) return(check_slam_family(x, where))
  if (inherits(x, "family")) return(slam_family_from_stats(x, where))
  if (is.factor(x)) x <- as.character(x)
  if (is.character(x) && length(x) == 1L) return(slam_family_from_name(x, where))
  slam_stop(where, " must be a family name (e.g. \"probit\") or a family object (e.g. ",
            "slam_probit()); it is ",
            if (is.character(x)) paste0("a character vector of length ", length(x)) else
              paste0("of class ", paste(class(x), collapse = "/")), ".", arg = "family")
}

#' A family from its name (case-insensitive)
#' @noRd
slam_family_from_name <- function(x, where) {
  key <- tolower(trimws(x))
  for (f in names(slam_family_spellings)) {
    if (!is.na(key) && key %in% slam_family_spellings[[f]]) return(new_slam_family(f))
  }
  slam_stop("unknown family '", x, "' in ", where, "; known families: ",
            slam_family_names_text(), ".", arg = "family")
}

#' A family from a stats::family object
#' @noRd
slam_family_from_stats <- function(x, where) {
  fam <- x$family
  link <- x$link
  if (identical(fam, "gaussian")) {
    if (identical(link, "identity")) return(slam_gaussian())
    slam_stop(where, ": the gaussian family is available with the identity link only (got link '",
              link, "').", arg = "family")
  }
  if (identical(fam, "binomial")) {
    if (identical(link, "probit")) return(slam_probit())
    slam_stop(where, ": only the probit link is available for binary traits (got ",
              "binomial(link = \"", link, "\")); use binomial(link = \"probit\") or \"probit\".",
              arg = "family")
  }
  if (identical(fam, "poisson")) {
    if (identical(link, "log")) return(slam_poisson())
    slam_stop(where, ": the poisson family is available with the log link only (got link '",
              link, "').", arg = "family")
  }
  if (is.character(fam) && grepl("^Negative Binomial", fam)) {
    slam_stop(where, ": MASS's negative.binomial() fixes the dispersion; use \"negbin\" or ",
              "slam_negbin() (the dispersion is estimated per trait).", arg = "family")
  }
  slam_stop(where, ": the family '", paste(fam, collapse = " "), "' is not supported; supported ",
            "stats families: gaussian(), binomial(link = \"probit\") and poisson(); supported ",
            "names: ", slam_family_names_text(), " (or slam_gaussian(), slam_probit(), ",
            "slam_ordinal(), slam_negbin(), slam_poisson()).", arg = "family")
}

#' Check a slam_family object (e.g. one modified by hand)
#' @noRd
check_slam_family <- function(x, where) {
  f <- x$family
  if (!is.character(f) || length(f) != 1L || !(f %in% names(slam_family_table))) {
    slam_stop(where, " is a slam_family object with an unknown family (",
              paste(format(f), collapse = ", "), ").", arg = "family")
  }
  if (!identical(x$link, slam_family_table[[f]]$link)) {
    slam_stop(where, ": family ", f, " has link '", slam_family_table[[f]]$link, "' only (got '",
              paste(format(x$link), collapse = ", "), "').", arg = "family")
  }
  x["offset"] <- list(check_family_offset(x$offset, paste0("the offset of ", where)))
  if (is.null(x$label)) x$label <- slam_family_table[[f]]$label
  x
}

#' Code the response, offsets and weights of every trait by its family
#'
#' @param cols named list of the raw response columns (one per trait, in trait
#'   order, each of length `n`): numeric, integer, logical, factor or ordered
#'   factor, as evaluated from the formula.
#' @param families the families of the traits: anything
#'   [slam_resolve_families()] accepts (usually its result).
#' @param n number of rows.
#' @param weights NULL, or known precision weights of the gaussian traits: a
#'   numeric vector of length `n` (every gaussian trait) or a numeric matrix
#'   with `n` rows and either one column per trait (in trait order, or named
#'   by all traits) or fewer columns named by gaussian traits.
#' @param offset NULL, or the offset of an `offset()` term of the formula (an
#'   `n`-vector, or an `n x p` matrix with columns in trait order or named by
#'   the traits), added to every trait.
#' @return A list with
#'   * `Y`: n x p double matrix (column names = traits): gaussian traits as
#'     given; probit 0/1; ordinal codes 1..C; counts as whole numbers; NA kept.
#'   * `family`: character vector (length p, named by trait).
#'   * `n_categories`: integer vector (length p, named): C for ordinal, 2 for
#'     probit, 0 otherwise.
#'   * `levels`: named list: the class labels of ordinal and probit traits
#'     (in code order: code 1 (ordinal) or 0 (probit) first), NULL otherwise.
#'   * `offset`: NULL when no trait has an offset, else an n x p double matrix
#'     (family offsets plus the formula's offset; 0 for traits without).
#'   * `weights`: NULL (no `weights`) or an n x p double matrix: the given
#'     weights for gaussian traits where y is observed, 1 elsewhere.
#'   * `families`: the named list of `"slam_family"` objects.
#' @noRd
slam_observation_data <- function(cols, families, n, weights = NULL, offset = NULL) {
  traits <- names(cols)
  if (!is.list(cols) || is.null(traits)) {
    slam_stop("internal error: `cols` must be a named list of response columns.")
  }
  n <- as.integer(n)
  check_response_shape(n, traits)
  families <- slam_resolve_families(families, traits)
  p <- length(traits)
  Y <- matrix(NA_real_, n, p, dimnames = list(NULL, traits))
  fam <- stats::setNames(vapply(families, function(f) f$family, ""), traits)
  n_categories <- stats::setNames(integer(p), traits)
  levels <- stats::setNames(vector("list", p), traits)
  for (j in seq_len(p)) {
    y <- cols[[j]]
    if (length(y) != n) {
      slam_stop("trait '", traits[j], "' has ", length(y), " values but the response has ", n,
                " rows.", arg = "formula")
    }
    coded <- slam_code_trait(y, fam[[j]], traits[j])
    Y[, j] <- coded$y
    n_categories[j] <- as.integer(coded$n_categories)
    if (!is.null(coded$levels)) levels[[j]] <- coded$levels
  }
  list(Y = Y, family = fam, n_categories = n_categories, levels = levels,
       offset = slam_offset_matrix(families, offset, n, traits),
       weights = slam_weight_matrix(weights, fam, Y),
       families = families)
}

#' The class of a response column, for messages
#' @noRd
slam_class_text <- function(y) {
  if (is.ordered(y)) "ordered factor" else if (is.factor(y)) "factor" else
    paste(class(y), collapse = "/")
}

#' A few values, for messages
#' @noRd
slam_values_text <- function(v, k = 5L) {
  v <- unique(v)
  paste0(paste(format(utils::head(v, k), digits = 6), collapse = ", "),
         if (length(v) > k) ", ..." else "")
}

#' Code one trait of the response by its family
#'
#' @param y the raw column.
#' @param family the family name.
#' @param trait the trait name.
#' @return A list with `y` (double, NA kept), `n_categories`, `levels`.
#' @noRd
slam_code_trait <- function(y, family, trait) {
  if (!(is.numeric(y) || is.logical(y) || is.factor(y))) {
    slam_stop("the response must be numeric (or a factor or logical for probit and ordinal ",
              "traits); trait '", trait, "' is of class ", paste(class(y), collapse = "/"), ".",
              arg = "formula")
  }
  switch(family,
         gaussian = slam_code_gaussian(y, trait),
         probit = slam_code_probit(y, trait),
         ordinal = slam_code_ordinal(y, trait),
         negbin = , poisson = slam_code_count(y, trait, family),
         slam_stop("internal error: unknown family '", family, "'."))
}

#' @noRd
slam_code_gaussian <- function(y, trait) {
  if (is.factor(y)) {
    nl <- nlevels(droplevels(y))
    suggest <- if (is.ordered(y) || nl > 2L) "'ordinal'" else "'probit' (two levels) or 'ordinal'"
    slam_stop("trait '", trait, "' is of class ", slam_class_text(y), " (", nl, " observed level",
              if (nl != 1L) "s", "): give it family ", suggest, ", e.g. family = list(",
              trait, " = \"", if (nl == 2L && !is.ordered(y)) "probit" else "ordinal",
              "\"), or make it numeric for a gaussian trait.", arg = "family")
  }
  if (is.logical(y) && !all(is.na(y))) {
    slam_stop("trait '", trait, "' is of class logical: give it family 'probit' (e.g. family = ",
              "list(", trait, " = \"probit\")), or make it numeric for a gaussian trait.",
              arg = "family")
  }
  y <- as.double(y)
  check_gaussian_trait(y, trait)
  list(y = y, n_categories = 0L, levels = NULL)
}

#' @noRd
slam_code_probit <- function(y, trait) {
  what <- paste0("trait '", trait, "' (probit) must be 0/1, TRUE/FALSE or a two-level factor")
  if (is.factor(y)) {
    lv <- levels(y)
    if (length(lv) > 2L) {
      used <- levels(droplevels(y))
      if (length(used) > 2L) {
        slam_stop(what, "; it is a factor with ", length(used), " observed levels (",
                  paste0("'", utils::head(used, 5L), "'", collapse = ", "),
                  if (length(used) > 5L) ", ..." else "", ").", arg = "formula")
      }
      if (length(used) == 2L) {
        message("probit trait '", trait, "': unused level(s) ",
                paste0("'", setdiff(lv, used), "'", collapse = ", "), " dropped; '", used[1L],
                "' is coded 0 and '", used[2L], "' 1.")
      }
      y <- droplevels(y)
      lv <- levels(y)
    }
    if (length(lv) < 2L) {
      slam_stop(what, "; it is a factor with ", length(lv), " level",
                if (length(lv) == 1L) paste0(" ('", lv, "')") else "s",
                ", so 0 and 1 cannot be told apart.", arg = "formula")
    }
    code <- as.double(as.integer(y) - 1L)
  } else if (is.logical(y)) {
    lv <- c("FALSE", "TRUE")
    code <- as.double(y)
  } else {
    code <- as.double(y)
    bad <- code[!is.na(code) & !(code %in% c(0, 1))]
    if (length(bad)) {
      slam_stop(what, "; it has value(s) ", slam_values_text(sort(unique(bad))), ".",
                arg = "formula")
    }
    lv <- c("0", "1")
  }
  obs <- code[!is.na(code)]
  check_n_observed(length(obs), trait)
  if (all(obs == obs[1L])) {
    lab <- lv[obs[1L] + 1]
    slam_stop("trait '", trait, "' (probit) has only one observed value (", obs[1L],
              if (lab != format(obs[1L])) paste0(", '", lab, "'") else "",
              "): its intercept cannot be estimated.", arg = "formula")
  }
  list(y = code, n_categories = 2L, levels = lv)
}

#' @noRd
slam_code_ordinal <- function(y, trait) {
  if (is.logical(y)) y <- factor(y, levels = c(FALSE, TRUE), labels = c("FALSE", "TRUE"))
  if (is.factor(y)) {
    check_n_observed(sum(!is.na(y)), trait)
    lv <- levels(y)
    used <- lv[lv %in% as.character(y[!is.na(y)])]
    if (length(used) < 2L) {
      slam_stop("ordinal trait '", trait, "' has only one observed class ('", used, "').",
                arg = "formula")
    }
    if (length(used) < length(lv)) {
      message("ordinal trait '", trait, "': unused level(s) ",
              paste0("'", setdiff(lv, used), "'", collapse = ", "),
              " dropped; its ", length(used), " classes are ",
              paste0("'", used, "'", collapse = " < "), ".")
    }
    code <- as.double(match(as.character(y), used))
    return(list(y = code, n_categories = length(used), levels = used))
  }
  v <- as.double(y)
  obs <- v[!is.na(v)]
  if (any(is.infinite(obs))) {
    slam_stop("ordinal trait '", trait, "' has infinite value(s); its classes must be an ordered ",
              "factor, a factor or whole numbers.", arg = "formula")
  }
  frac <- obs[abs(obs - round(obs)) > 1e-8 * pmax(1, abs(obs))]
  if (length(frac)) {
    slam_stop("ordinal trait '", trait, "' must be an ordered factor, a factor or whole-number ",
              "classes; it has non-whole value(s) ", slam_values_text(frac), ".", arg = "formula")
  }
  check_n_observed(length(obs), trait)
  vals <- sort(unique(round(obs)))
  if (length(vals) < 2L) {
    slam_stop("ordinal trait '", trait, "' has only one observed class (", format(vals), ").",
              arg = "formula")
  }
  list(y = as.double(match(round(v), vals)), n_categories = length(vals),
       levels = as.character(vals))
}

#' @noRd
slam_code_count <- function(y, trait, family) {
  what <- paste0("trait '", trait, "' (", family, ") must be counts (non-negative whole numbers)")
  if (!is.numeric(y) && !(is.logical(y) && all(is.na(y)))) {
    slam_stop(what, "; it is of class ", slam_class_text(y), ".", arg = "formula")
  }
  v <- as.double(y)
  obs <- v[!is.na(v)]
  if (any(is.infinite(obs))) {
    slam_stop(what, "; it has infinite value(s), e.g. ",
              slam_values_text(obs[is.infinite(obs)], 1L), ".", arg = "formula")
  }
  if (any(obs < 0)) {
    slam_stop(what, "; it has negative value(s), e.g. ", slam_values_text(obs[obs < 0], 3L), ".",
              arg = "formula")
  }
  frac <- obs[abs(obs - round(obs)) > 1e-8 * pmax(1, obs)]
  if (length(frac)) {
    slam_stop(what, "; it has non-whole value(s), e.g. ", slam_values_text(frac, 3L), ".",
              arg = "formula")
  }
  if (any(obs > 1e9)) {
    slam_stop("trait '", trait, "' (", family, ") has count(s) above 1e9, e.g. ",
              slam_values_text(obs[obs > 1e9], 1L), ": counts that large are not supported ",
              "(model such a trait as gaussian, e.g. on the log scale).", arg = "formula")
  }
  check_n_observed(length(obs), trait)
  if (all(obs == 0)) {
    slam_stop("trait '", trait, "' (", family, ") has only one observed value (0): its ",
              "intercept cannot be estimated.", arg = "formula")
  }
  list(y = round(v), n_categories = 0L, levels = NULL)
}

#' One offset as an n x q matrix for the traits `tr`
#'
#' @param x a numeric vector of length n (the same for all of `tr`), or a
#'   numeric matrix with n rows and either one column (the same for all), q
#'   unnamed columns (in the order of `tr`), or columns named by exactly `tr`.
#' @param what how to name it in messages.
#' @param arg the argument to blame.
#' @param whose how to name the traits `tr` in messages.
#' @noRd
slam_offset_columns <- function(x, n, tr, what, arg, whose = "trait") {
  q <- length(tr)
  if (is(x, "Matrix")) x <- as.matrix(x)
  if (is.data.frame(x)) x <- as.matrix(x)
  if (!is.numeric(x) || (!is.null(dim(x)) && length(dim(x)) != 2L)) {
    slam_stop(what, " must be a numeric vector (one value per row) or a numeric matrix; it is of ",
              "class ", paste(class(x), collapse = "/"), ".", arg = arg)
  }
  if (is.null(dim(x))) {
    if (length(x) != n) {
      slam_stop(what, " has length ", length(x), ", expected ", n, " (one per row).", arg = arg)
    }
    x <- matrix(as.double(x), n, q)
  } else {
    if (nrow(x) != n) {
      slam_stop(what, " has ", nrow(x), " rows, expected ", n, " (one per row).", arg = arg)
    }
    cn <- colnames(x)
    if (is.null(cn) || all(is.na(cn) | cn == "")) {
      if (ncol(x) == 1L) {
        x <- matrix(as.double(x), n, q)
      } else if (ncol(x) != q) {
        slam_stop(what, " has ", ncol(x), " columns, expected 1 or ", q, " (one per ", whose,
                  ": ", paste0("'", tr, "'", collapse = ", "), ").", arg = arg)
      }
    } else {
      if (anyNA(cn) || any(cn == "") || anyDuplicated(cn)) {
        slam_stop(what, " must have unique, non-empty column names (or none).", arg = arg)
      }
      extra <- setdiff(cn, tr)
      if (length(extra)) {
        slam_stop(what, " has column(s) ", paste0("'", extra, "'", collapse = ", "),
                  " that are not among its traits (", paste0("'", tr, "'", collapse = ", "), ").",
                  arg = arg)
      }
      miss <- setdiff(tr, cn)
      if (length(miss)) {
        slam_stop(what, " has no column for trait(s) ", paste0("'", miss, "'", collapse = ", "),
                  ".", arg = arg)
      }
      x <- x[, tr, drop = FALSE]
    }
  }
  storage.mode(x) <- "double"
  bad <- which(!is.finite(x))
  if (length(bad)) {
    rows <- unique((bad - 1L) %% n + 1L)
    slam_stop(what, " has non-finite values (NA, NaN or Inf) in ", length(rows),
              " row(s), e.g. row ", rows[1L], ".", arg = arg)
  }
  dimnames(x) <- list(NULL, tr)
  x
}

#' The offsets of all traits: each family's plus the formula's
#' @noRd
slam_offset_matrix <- function(families, offset, n, traits) {
  p <- length(traits)
  out <- matrix(0, n, p, dimnames = list(NULL, traits))
  any_offset <- FALSE
  done <- logical(p)
  for (j in seq_len(p)) {
    fj <- families[[j]]
    if (done[j] || is.null(fj$offset)) next
    grp <- which(vapply(families, function(f) identical(f, fj), TRUE))
    done[grp] <- TRUE
    out[, grp] <- out[, grp] +
      slam_offset_columns(fj$offset, n, traits[grp], paste0("offset of family ", fj$family),
                          arg = "family", whose = paste0("trait with this family"))
    any_offset <- TRUE
  }
  if (!is.null(offset)) {
    out <- out + slam_offset_columns(offset, n, traits, "offset", arg = "offset")
    any_offset <- TRUE
  }
  if (any_offset) out else NULL
}

#' Known precision weights of the gaussian traits as an n x p matrix
#'
#' @param weights the user's `weights` (see [slam_observation_data()]).
#' @param family family names of the traits (named by trait).
#' @param Y the coded response (NA where missing).
#' @return NULL or an n x p double matrix: the weights of gaussian traits where
#'   y is observed, 1 elsewhere.
#' @noRd
slam_weight_matrix <- function(weights, family, Y) {
  if (is.null(weights)) return(NULL)
  n <- nrow(Y)
  traits <- colnames(Y)
  p <- length(traits)
  gauss <- family == "gaussian"
  if (is(weights, "Matrix")) weights <- as.matrix(weights)
  if (is.data.frame(weights)) {
    if (!all(vapply(weights, is.numeric, TRUE))) {
      slam_stop("`weights` must be numeric; the data frame has non-numeric column(s).",
                arg = "weights")
    }
    weights <- as.matrix(weights)
  }
  if (!is.numeric(weights) || (!is.null(dim(weights)) && length(dim(weights)) != 2L)) {
    slam_stop("`weights` must be a numeric vector (one value per row) or a numeric matrix (one ",
              "row per row, one column per trait); it is of class ",
              paste(class(weights), collapse = "/"), ".", arg = "weights")
  }
  first_non_gauss <- function(j) {
    slam_stop("weights apply to gaussian traits only; trait '", traits[j], "' is ", family[[j]],
              " (leave it out of `weights`, or give it weight 1).", arg = "weights")
  }
  cn <- colnames(weights)
  unnamed <- is.null(cn) || all(is.na(cn) | cn == "")
  if (is.null(dim(weights)) || (unnamed && ncol(weights) == 1L && p > 1L)) {
    if (length(weights) != n) {
      slam_stop("`weights` has length ", length(weights), ", expected ", n, " (one per row; a ",
                "vector applies to every gaussian trait) or a matrix with ", n, " rows.",
                arg = "weights")
    }
    if (!any(gauss) && !all(weights[!is.na(weights)] == 1)) first_non_gauss(1L)
    given <- stats::setNames(rep(list(as.double(weights)), sum(gauss)), traits[gauss])
  } else {
    if (nrow(weights) != n) {
      slam_stop("`weights` has ", nrow(weights), " rows, expected ", n, " (one per row).",
                arg = "weights")
    }
    if (unnamed) {
      if (ncol(weights) != p) {
        slam_stop("`weights` has ", ncol(weights), " columns; without column names it needs one ",
                  "per trait (", p, "), in trait order, or columns named by traits.",
                  arg = "weights")
      }
      cn <- traits
    } else {
      if (anyNA(cn) || any(cn == "") || anyDuplicated(cn)) {
        slam_stop("`weights` must have unique, non-empty column names (or none).", arg = "weights")
      }
      unknown <- setdiff(cn, traits)
      if (length(unknown)) {
        slam_stop("`weights` has column(s) ", paste0("'", unknown, "'", collapse = ", "),
                  " that are not traits of the response (traits: ",
                  paste0("'", traits, "'", collapse = ", "), ").", arg = "weights")
      }
    }
    given <- stats::setNames(lapply(seq_along(cn), function(i) as.double(weights[, i])), cn)
    for (t in cn) {
      j <- match(t, traits)
      w <- given[[t]]
      if (!gauss[j] && !all(w[!is.na(w)] == 1)) first_non_gauss(j)
    }
    given <- given[cn %in% traits[gauss]]
  }
  W <- matrix(1, n, p, dimnames = list(NULL, traits))
  for (t in names(given)) {
    w <- given[[t]]
    obs <- !is.na(Y[, t])
    wo <- w[obs]
    rows <- which(obs)
    if (anyNA(wo)) {
      slam_stop("`weights` has missing values (NA) for trait '", t, "' where it is observed ",
                "(e.g. row ", rows[is.na(wo)][1L], "); NA weights are allowed only where the ",
                "trait is NA.", arg = "weights")
    }
    if (any(!is.finite(wo))) {
      slam_stop("`weights` has non-finite values for trait '", t, "' (e.g. row ",
                rows[!is.finite(wo)][1L], ").", arg = "weights")
    }
    if (any(wo <= 0)) {
      slam_stop("`weights` must be positive where the trait is observed; trait '", t, "' has ",
                "weight ", format(wo[wo <= 0][1L]), " in row ", rows[wo <= 0][1L], ".",
                arg = "weights")
    }
    W[obs, t] <- wo
  }
  W
}
