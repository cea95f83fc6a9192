# Pedigrees: from a data frame (id, dam, sire) to the additive relationship
# matrix A, its sparse inverse and the inbreeding coefficients.
#
# Written from the published algorithms:
# - A by the tabular method (Henderson 1976; Quaas 1976): with parents before
#   offspring, A[j, i] = (A[j, dam_i] + A[j, sire_i]) / 2 for every j processed
#   before i, and A[i, i] = 1 + A[dam_i, sire_i] / 2 (an unknown parent adds 0).
# - A = L D L' with L = (I - P)^-1, where row i of P holds 1/2 at the columns of
#   the known parents of i, and D is diagonal: the Mendelian sampling variance
#   d_i = 1/2 - (F_dam + F_sire)/4 with both parents known, 3/4 - F_parent/4
#   with one, 1 with none (Quaas 1976). The inbreeding coefficient is
#   F_i = sum_j L_ij^2 d_j - 1 (the diagonal of L D L' minus one), computed
#   generation by generation, because the d of a generation needs only the F of
#   earlier generations (the same identity as Meuwissen & Luo 1992).
# - A^-1 = (I - P)' D^-1 (I - P): Henderson's (1976) rules with inbreeding
#   (Quaas 1976) written as one sparse product, so no dense matrix is formed.

#' Additive relationship matrix of a pedigree
#'
#' `pedigree_A()` computes the additive (numerator) relationship matrix
#' **A** of the individuals of a pedigree by the tabular method (Henderson
#' 1976): twice the coefficient of coancestry between every two individuals,
#' with `1 + F` (one plus the inbreeding coefficient) on the diagonal.
#' `pedigree_Ainv()` computes its sparse inverse directly from the pedigree by
#' Henderson's rules, accounting for inbreeding (Quaas 1976), and
#' `pedigree_inbreeding()` the inbreeding coefficients.
#'
#' To fit an animal model with [SLAMglmm()], give the pedigree itself in
#' `relmat`, e.g. `relmat = list(animal = ped)`, or equivalently **A**,
#' `relmat = list(animal = pedigree_A(ped))`: every individual of the
#' pedigree becomes a level of the grouping factor, so that ancestors without
#' records get predicted genetic values (in `ranef()`).
#'
#' @section The pedigree:
#' A data frame with one row per individual and three columns: the
#' individual, its dam (mother) and its sire (father). When its columns are
#' named `id` or `animal`, `dam` or `mother`, and `sire` or `father` (in any
#' case), they are found by name, in any position; otherwise the first three
#' columns are taken in that order. Other columns are ignored. Ids may be
#' character, factor or numeric.
#'
#' * An unknown parent is `NA`, `0`, `"0"`, `""` or `"*"`.
#' * Parents that have no row of their own are added as founders (both
#'   parents unknown), before the individuals of the pedigree.
#' * Rows may be in any order; they are sorted internally so that parents
#'   come before their offspring.
#' * Duplicated ids, missing ids, and individuals that are their own ancestor
#'   (a cycle in the parent links, such as an individual given as its own
#'   parent) are errors that name the individuals concerned.
#' * The same individual may be both dam and sire of an offspring (selfing, as
#'   in plants); such an offspring has an inbreeding coefficient of
#'   `(1 + F_parent) / 2`.
#'
#' The rows and columns of the results are in the order of the pedigree's
#' individuals: first the parents that were added (in the order in which they
#' first appear as dam or sire), then the individuals in the order of their
#' rows.
#'
#' @section Cost:
#' `pedigree_A()` forms the dense `n x n` matrix (8 `n^2` bytes: 200 MB for
#' 5000 individuals) in `O(n^2)` operations, one column per individual.
#' `pedigree_Ainv()` and `pedigree_inbreeding()` never form **A**; their cost
#' grows with the number of (individual, ancestor) pairs.
#'
#' @param pedigree A data frame (or matrix) of the pedigree: id, dam, sire;
#'   see the section The pedigree.
#' @param ids `NULL` (all individuals of the pedigree, including the added
#'   parents) or the ids of the individuals whose relationships are wanted,
#'   in the order wanted. Only these individuals and their ancestors are used
#'   in the computation.
#' @return `pedigree_A()`: a dense symmetric numeric matrix with the ids as
#'   row and column names. `pedigree_Ainv()`: a sparse symmetric matrix
#'   (`Matrix::dsCMatrix`) with the ids as row and column names.
#'   `pedigree_inbreeding()`: a numeric vector of inbreeding coefficients
#'   named by the ids.
#' @references
#' Henderson, C. R. (1976). A simple method for computing the inverse of a
#' numerator relationship matrix used in prediction of breeding values.
#' *Biometrics* 32, 69-83.
#'
#' Quaas, R. L. (1976). Computing the diagonal elements and inverse of a large
#' numerator relationship matrix. *Biometrics* 32, 949-953.
#'
#' Meuwissen, T. H. E. and Luo, Z. (1992). Computing inbreeding coefficients
#' in large populations. *Genetics Selection Evolution* 24, 305-313.
#' @seealso [SLAMglmm()] (argument `relmat`).
#' @examples
#' # two unrelated founders (1, 2), their full-sib offspring 3 and 4, and 5,
#' # the offspring of 3 and of a founder 6 that has no row of its own;
#' # 7 is the offspring of the full sibs 3 and 4 (inbred: F = 1/4)
#' ped <- data.frame(id   = c(1, 2, 3, 4, 5, 7),
#'                   dam  = c(NA, NA, 1, 1, 3, 3),
#'                   sire = c(0, 0, 2, 2, 6, 4))
#' A <- pedigree_A(ped)
#' A
#' pedigree_inbreeding(ped)
#' Ainv <- pedigree_Ainv(ped)
#' Ainv
#' all.equal(as.matrix(Ainv %*% A), diag(nrow(A)), check.attributes = FALSE)
#' # relationships among some individuals only
#' pedigree_A(ped, ids = c("7", "5"))
#' @export
pedigree_A <- function(pedigree, ids = NULL) {
  ped <- ped_prepare(pedigree)
  if (!is.null(ids)) {
    sel <- ped_match_ids(ped, ids)
    ped <- ped_subset(ped, ped_ancestors(ped, sel))
  }
  A <- ped_tabular(ped)
  if (!is.null(ids)) {
    sel <- match(ped_ids_chr(ids), ped$id)
    A <- A[sel, sel, drop = FALSE]
  }
  A
}

#' @rdname pedigree_A
#' @export
pedigree_Ainv <- function(pedigree) {
  ped <- ped_prepare(pedigree)
  dec <- ped_decomposition(ped)
  # (I - P)' D^-1 (I - P), in processing order, then in the output order
  Ainv <- Matrix::crossprod(dec$IP, Matrix::Diagonal(x = 1 / dec$D) %*% dec$IP)
  Ainv <- Matrix::forceSymmetric(Ainv, uplo = "U")
  Ainv <- Ainv[dec$rank, dec$rank]
  Ainv <- methods::as(Ainv, "CsparseMatrix")
  dimnames(Ainv) <- list(ped$id, ped$id)
  Ainv
}

#' @rdname pedigree_A
#' @export
pedigree_inbreeding <- function(pedigree) {
  ped <- ped_prepare(pedigree)
  dec <- ped_decomposition(ped)
  stats::setNames(dec$F[dec$rank], ped$id)
}

#' The relationship matrix of a pedigree given in `relmat`
#'
#' Called where a `relmat` entry is a data frame: returns the additive
#' relationship matrix of all the individuals of the pedigree (so that
#' ancestors without records are levels of the grouping factor and get
#' predicted genetic values). If `levels` (the levels of the grouping factor
#' present in the data) are given, every one of them must be in the pedigree.
#'
#' @param x the pedigree data frame.
#' @param levels NULL or the levels present in the data.
#' @param term the grouping factor name, for messages (`relmat$<term>`).
#' @return A dense symmetric matrix with the pedigree ids as dimnames.
#' @noRd
relmat_from_pedigree <- function(x, levels = NULL, term = NULL) {
  what <- if (is.null(term)) "the pedigree" else paste0("`relmat$", term, "` (a pedigree)")
  ped <- ped_prepare(x, what = what)
  if (!is.null(levels)) {
    levels <- unique(as.character(levels))
    missing <- setdiff(levels, ped$id)
    if (length(missing)) {
      slam_stop(what, " has no individual for ", length(missing), " level(s)",
                if (!is.null(term)) paste0(" of '", term, "'"), " present in the data, e.g. ",
                paste0("'", utils::head(missing, 5L), "'", collapse = ", "),
                ". Add them as rows (with unknown parents, NA, if they are unrelated founders).",
                arg = ped_arg(what))
    }
  }
  ped_tabular(ped)
}

# ---------------------------------------------------------------------------
# Internals. A prepared pedigree is a list:
#   id    character n: the ids in output order (added parents first);
#   dam, sire  integer n: indices into `id` of the parents, NA if unknown;
#   order integer n: a processing order in which parents precede offspring
#         (by generation, then output order);
#   gen   integer n: generation number (founders 0, else 1 + the parents' max).

#' Unknown-parent codes to NA; ids as character
#' @noRd
ped_ids_chr <- function(x) {
  if (is.factor(x)) x <- as.character(x)
  if (is.numeric(x)) {
    x[!is.na(x) & x == 0] <- NA
    x <- as.character(x)
  } else {
    x <- trimws(as.character(x))
  }
  x[x %in% c("", "0", "*")] <- NA
  x
}

#' Which columns of a pedigree hold id, dam and sire
#'
#' By name when the names say so (id/animal, dam/mother, sire/father, in any
#' case); otherwise the first three columns. A partial naming is accepted only
#' when it agrees with the positions id, dam, sire.
#' @noRd
ped_columns <- function(nms, what) {
  if (is.null(nms)) nms <- rep("", 3L)
  low <- tolower(trimws(nms))
  roles <- list(id = c("id", "animal"), dam = c("dam", "mother"), sire = c("sire", "father"))
  found <- vapply(roles, function(r) {
    w <- which(low %in% r)
    if (length(w) > 1L) {
      slam_stop(what, " has more than one column for the ", r[1L], ": ",
                paste0("'", nms[w], "'", collapse = ", "), ".", arg = ped_arg(what))
    }
    if (length(w)) w else NA_integer_
  }, 1L)
  if (!anyNA(found)) return(unname(found))
  if (all(is.na(found) | found == seq_len(3L))) return(1:3)
  slam_stop(what, " has column(s) ", paste0("'", nms[found[!is.na(found)]], "'", collapse = ", "),
            " named as pedigree columns, but not all three (id/animal, dam/mother, ",
            "sire/father) and not in the order id, dam, sire; name all three or put them first ",
            "in that order.", arg = ped_arg(what))
}

#' Read, check and order a pedigree data frame
#' @noRd
ped_prepare <- function(pedigree, what = "`pedigree`") {
  if (is.matrix(pedigree)) pedigree <- as.data.frame(pedigree, stringsAsFactors = FALSE)
  if (!is.data.frame(pedigree)) {
    slam_stop(what, " must be a data frame with columns id, dam and sire.", arg = ped_arg(what))
  }
  if (ncol(pedigree) < 3L) {
    slam_stop(what, " must have (at least) three columns: id, dam and sire; it has ",
              ncol(pedigree), ".", arg = ped_arg(what))
  }
  if (nrow(pedigree) < 1L) slam_stop(what, " has no rows.", arg = ped_arg(what))
  cols <- ped_columns(names(pedigree), what)
  id <- ped_ids_chr(pedigree[[cols[1L]]])
  dam <- ped_ids_chr(pedigree[[cols[2L]]])
  sire <- ped_ids_chr(pedigree[[cols[3L]]])
  if (anyNA(id)) {
    rows <- which(is.na(id))
    slam_stop(what, " has a missing id (NA, 0, \"\" or \"*\") in ", length(rows), " row(s): ",
              paste(utils::head(rows, 10L), collapse = ", "), ".", arg = ped_arg(what))
  }
  if (anyDuplicated(id)) {
    dup <- unique(id[duplicated(id)])
    slam_stop(what, " has ", length(dup), " duplicated id(s): ",
              paste0("'", utils::head(dup, 10L), "'", collapse = ", "),
              if (length(dup) > 10L) ", ...", ".", arg = ped_arg(what))
  }
  parents <- as.vector(rbind(dam, sire))
  added <- unique(parents[!is.na(parents) & !(parents %in% id)])
  all_id <- c(added, id)
  na_added <- rep(NA_integer_, length(added))
  ped <- list(id = all_id,
              dam = c(na_added, match(dam, all_id)),
              sire = c(na_added, match(sire, all_id)),
              rows_hint = ped_parents_look_like_rows(dam, sire))
  ped_order(ped, what)
}

#' Do the parent columns hold row numbers rather than ids?
#'
#' Some exported pedigrees code parents by their row in the file. That reading
#' is suggested (in the cycle error only) when every known parent is a whole
#' number smaller than the row of its offspring.
#' @noRd
ped_parents_look_like_rows <- function(dam, sire) {
  r <- seq_along(dam)
  num <- function(x) suppressWarnings(as.numeric(x))
  dn <- num(dam)
  sn <- num(sire)
  known <- c(!is.na(dam), !is.na(sire))
  v <- c(dn, sn)[known]
  length(v) > 0L && !anyNA(v) && all(v == round(v)) &&
    all(is.na(dn) | dn < r) && all(is.na(sn) | sn < r)
}

#' Generation numbers and a parents-first processing order (or a cycle error)
#' @noRd
ped_order <- function(ped, what = "`pedigree`") {
  dam <- ped$dam
  sire <- ped$sire
  n <- length(dam)
  gen <- rep(NA_integer_, n)
  todo <- seq_len(n)
  g <- 0L
  while (length(todo)) {
    d <- dam[todo]
    s <- sire[todo]
    ready <- (is.na(d) | !is.na(gen[d])) & (is.na(s) | !is.na(gen[s]))
    if (!any(ready)) ped_cycle_error(ped, todo, what)
    gen[todo[ready]] <- g
    todo <- todo[!ready]
    g <- g + 1L
  }
  ped$gen <- gen
  ped$order <- order(gen, seq_len(n))
  ped
}

#' Name the individuals that are their own ancestor
#'
#' `todo`: the individuals that could not be ordered, i.e. those on a cycle
#' of parent links and their descendants.
#' @noRd
ped_cycle_error <- function(ped, todo, what) {
  dam <- ped$dam
  sire <- ped$sire
  # drop, repeatedly, the individuals that are parents of none of the others
  repeat {
    par <- c(dam[todo], sire[todo])
    keep <- todo[todo %in% par]
    if (length(keep) == length(todo)) break
    todo <- keep
  }
  own <- todo[vapply(utils::head(todo, 200L), function(i) {
    i %in% ped_ancestors(ped, i, include_self = FALSE)
  }, TRUE)]
  if (!length(own)) own <- todo
  path <- ped_cycle_path(ped, own[1L])
  slam_stop(what, " has ", length(own), " individual(s) that are their own ancestor ",
            "(a cycle in the dam/sire links): ",
            paste0("'", utils::head(ped$id[own], 10L), "'", collapse = ", "),
            if (length(own) > 10L) paste0(" and ", length(own) - 10L, " more"), ".",
            if (length(path)) paste0(" One cycle, each individual followed by a parent: ",
                                     ped_path_text(ped, path), "."),
            if (isTRUE(ped$rows_hint)) paste0(
              " Every parent is a number smaller than its offspring's row: if the dam and sire ",
              "columns hold row numbers of the pedigree rather than ids, replace them by the ids ",
              "of those rows (e.g. ped$dam <- ped[[1]][ped$dam], and the same for the sire)."),
            arg = ped_arg(what))
}

#' A shortest chain of parent links from individual `i` back to itself
#'
#' Breadth-first search over parents; returns the indices i, parent, ..., i
#' (empty when `i` is not its own ancestor).
#' @noRd
ped_cycle_path <- function(ped, i) {
  n <- length(ped$id)
  child <- rep(NA_integer_, n)     # the individual through which each ancestor was reached
  frontier <- i
  while (length(frontier)) {
    nxt <- integer(0)
    for (j in frontier) {
      for (q in c(ped$dam[j], ped$sire[j])) {
        if (is.na(q)) next
        if (q == i) {
          path <- i
          while (j != i) {
            path <- c(path, j)
            j <- child[j]
          }
          return(c(i, rev(path[-1L]), i))
        }
        if (is.na(child[q])) {
          child[q] <- j
          nxt <- c(nxt, q)
        }
      }
    }
    frontier <- nxt
  }
  integer(0)
}

#' "'a' (dam) 'b' (sire) 'a'": a chain of ids with the role of each link
#' @noRd
ped_path_text <- function(ped, path) {
  role <- vapply(seq_len(length(path) - 1L), function(t) {
    if (!is.na(ped$dam[path[t]]) && ped$dam[path[t]] == path[t + 1L]) "dam" else "sire"
  }, "")
  steps <- paste0("'", ped$id[path[-length(path)]], "' -", role, "-> ")
  if (length(steps) > 12L) steps <- c(steps[1:6], "... ", utils::tail(steps, 5L))
  paste0(paste(steps, collapse = ""), "'", ped$id[path[length(path)]], "'")
}

#' Indices of individuals and all their ancestors (a logical vector)
#' @noRd
ped_ancestors <- function(ped, sel, include_self = TRUE) {
  n <- length(ped$id)
  inset <- rep(FALSE, n)
  if (include_self) inset[sel] <- TRUE
  frontier <- sel
  repeat {
    p <- c(ped$dam[frontier], ped$sire[frontier])
    p <- unique(p[!is.na(p)])
    p <- p[!inset[p]]
    if (!length(p)) break
    inset[p] <- TRUE
    frontier <- p
  }
  if (include_self) inset else which(inset)
}

#' Indices of the requested ids (error for unknown ids)
#' @noRd
ped_match_ids <- function(ped, ids) {
  ids <- ped_ids_chr(ids)
  if (anyNA(ids)) slam_stop("`ids` has missing or unknown-coded values.", arg = "ids")
  if (anyDuplicated(ids)) {
    slam_stop("`ids` has duplicated values: ",
              paste0("'", utils::head(unique(ids[duplicated(ids)]), 5L), "'", collapse = ", "), ".",
              arg = "ids")
  }
  sel <- match(ids, ped$id)
  if (anyNA(sel)) {
    miss <- ids[is.na(sel)]
    slam_stop("`ids` has ", length(miss), " id(s) that are not in the pedigree: ",
              paste0("'", utils::head(miss, 5L), "'", collapse = ", "), ".",
              arg = "ids")
  }
  sel
}

#' The sub-pedigree of the individuals in `keep` (logical; closed under parents)
#' @noRd
ped_subset <- function(ped, keep) {
  new_index <- cumsum(keep)
  new_index[!keep] <- NA
  out <- list(id = ped$id[keep], dam = new_index[ped$dam[keep]],
              sire = new_index[ped$sire[keep]])
  ped_order(out)
}

#' The tabular method: the dense A, rows and columns in output order
#'
#' Individuals are processed parents first; for individual i, the entries with
#' every individual already processed come from its parents' columns, which
#' are complete at that point.
#' @noRd
ped_tabular <- function(ped) {
  n <- length(ped$id)
  A <- matrix(0, n, n, dimnames = list(ped$id, ped$id))
  ord <- ped$order
  dam <- ped$dam
  sire <- ped$sire
  # founders come first in the processing order and are unrelated
  n0 <- sum(ped$gen == 0L)
  f <- ord[seq_len(n0)]
  A[cbind(f, f)] <- 1
  if (n0 < n) {
    for (k in (n0 + 1L):n) {
      i <- ord[k]
      done <- ord[seq_len(k - 1L)]
      d <- dam[i]
      s <- sire[i]
      if (is.na(d)) {
        v <- 0.5 * A[done, s]
        aii <- 1
      } else if (is.na(s)) {
        v <- 0.5 * A[done, d]
        aii <- 1
      } else {
        v <- 0.5 * (A[done, d] + A[done, s])
        aii <- 1 + 0.5 * A[d, s]
      }
      A[done, i] <- v
      A[i, done] <- v
      A[i, i] <- aii
    }
  }
  A
}

#' L, D and F of A = L D L', in processing order
#'
#' @return A list with `IP` (the sparse unit lower-triangular I - P, rows and
#'   columns in processing order), `D` (Mendelian sampling variances), `F`
#'   (inbreeding coefficients), both in processing order, and `rank` (the
#'   processing position of each individual in output order).
#' @noRd
ped_decomposition <- function(ped) {
  n <- length(ped$id)
  ord <- ped$order
  rank <- integer(n)
  rank[ord] <- seq_len(n)
  dam <- rank[ped$dam[ord]]
  sire <- rank[ped$sire[ord]]
  gen <- ped$gen[ord]
  kd <- which(!is.na(dam))
  ks <- which(!is.na(sire))
  # a selfed individual gets 1/2 + 1/2 = 1 at its single parent (entries sum)
  IP <- Matrix::sparseMatrix(i = c(seq_len(n), kd, ks), j = c(seq_len(n), dam[kd], sire[ks]),
                             x = c(rep(1, n), rep(-0.5, length(kd) + length(ks))),
                             dims = c(n, n))
  IP <- methods::as(methods::as(IP, "triangularMatrix"), "CsparseMatrix")
  F <- numeric(n)
  D <- rep(1, n)
  if (length(kd) || length(ks)) {
    # column i of Lt is row i of L = (I - P)^-1: i and its ancestors
    Lt <- Matrix::t(Matrix::solve(IP))
    Lt <- methods::as(Lt, "generalMatrix")
    Lt@x <- Lt@x^2
    Fpar <- function(p) ifelse(is.na(p), -1, F[p])
    for (g in seq_len(max(gen))) {
      G <- which(gen == g)
      D[G] <- 0.5 - 0.25 * (Fpar(dam[G]) + Fpar(sire[G]))
      FG <- as.vector(Matrix::crossprod(Lt[, G, drop = FALSE], D)) - 1
      FG[abs(FG) < 1e-12] <- 0  # rounding error of non-inbred individuals
      F[G] <- FG
    }
  }
  list(IP = IP, D = D, F = F, rank = rank)
}

#' The argument to blame for a pedigree error: `relmat` for a pedigree given
#' in `relmat`, else `pedigree`
#' @noRd
ped_arg <- function(what) {
  if (grepl("relmat", what, fixed = TRUE)) "relmat" else "pedigree"
}
