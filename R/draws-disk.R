# Saved draws on disk. With SLAMglmm(draws = dir) the sampler streams every
# saved quantity to a Zarr (version 2) group per chain, dir/chain-<c>/, in
# chunks of draws, on the sampler's (standardised) scale; dir/.zattrs holds the
# names and the scales back to the data. The fit reads every quantity but the
# loadings into memory (their size is p or b x p per draw) and keeps the
# loadings (p x k per draw) as a handle, a "slam_disk_array", that reads
# chunks on demand: summaries stream over them.

#' Check `draws`: NULL or a path for a new (or empty) directory
#' @noRd
check_draws_dir <- function(draws) {
  if (is.null(draws)) return(NULL)
  if (!is.character(draws) || length(draws) != 1L || is.na(draws) || !nzchar(draws)) {
    slam_stop("`draws` must be NULL (draws in memory) or the path of a directory for the draws ",
              "(one string).", arg = "draws")
  }
  path.expand(draws)
}

#' Default number of draws per chunk: about 64 MB of the largest quantity
#' (the loadings), between 1 and 100 draws
#' @noRd
slam_default_chunk <- function(p, k_max, b) {
  per_draw <- 8 * p * max(k_max, b, 1)
  as.integer(max(1, min(100, floor(64e6 / per_draw))))
}

#' Check `draws_chunk` (NULL: the default for the model's size)
#' @noRd
slam_draws_chunk <- function(draws_chunk, built) {
  if (is.null(draws_chunk)) {
    return(slam_default_chunk(ncol(built$input$Y), built$input$k_max, ncol(built$input$X)))
  }
  as.integer(check_number(draws_chunk, "draws_chunk", lower = 1, whole = TRUE))
}

#' JSON of a character vector
#' @noRd
json_strings <- function(x) {
  x <- gsub("\\\\", "\\\\\\\\", as.character(x))
  x <- gsub("\"", "\\\\\"", x)
  paste0("[", paste0("\"", x, "\"", collapse = ", "), "]")
}

#' JSON of a numeric vector
#' @noRd
json_numbers <- function(x) paste0("[", paste(format(as.double(x), digits = 17), collapse = ", "), "]")

#' Prepare the draws directory: a Zarr group whose attributes name the
#' traits, effects and terms and give the scales back to the data
#' @noRd
slam_draws_open <- function(dir, info, resuming = FALSE) {
  if (file.exists(dir) && !dir.exists(dir)) {
    slam_stop("`draws` (", dir, ") is a file, not a directory.", arg = "draws")
  }
  if (dir.exists(dir) && !resuming && length(list.files(dir, all.files = TRUE, no.. = TRUE))) {
    slam_stop("`draws` (", dir, ") is a directory with files in it; give a new or empty directory ",
              "(the draws of an interrupted run are continued through its checkpoint).", arg = "draws")
  }
  if (!dir.exists(dir) && !dir.create(dir, recursive = TRUE, showWarnings = FALSE)) {
    slam_stop("could not create the draws directory ", dir, ".", arg = "draws")
  }
  writeLines("{\n  \"zarr_format\": 2\n}", file.path(dir, ".zgroup"))
  ds <- info$data_scale
  attrs <- paste0(
    "{\n  \"slamglmm\": {\n",
    "    \"scale\": \"standardised: see center and scale\",\n",
    "    \"traits\": ", json_strings(info$traits), ",\n",
    "    \"center\": ", json_numbers(ds$center), ",\n",
    "    \"scale_sd\": ", json_numbers(ds$scale), ",\n",
    "    \"fixed\": ", json_strings(info$fixed), ",\n",
    "    \"fixed_F\": ", json_strings(if (length(info$fixed_F)) info$fixed_F else character(0)), ",\n",
    "    \"terms\": ", json_strings(if (length(info$terms)) info$terms else character(0)), "\n",
    "  }\n}")
  writeLines(attrs, file.path(dir, ".zattrs"))
  invisible(dir)
}

#' The Zarr group of chain c
#' @noRd
slam_draws_chain_dir <- function(dir, c) file.path(dir, sprintf("chain-%d", c))

#' Shape and chunk length of a Zarr array written by the sampler
#' @noRd
zarr_meta <- function(adir) {
  txt <- paste(readLines(file.path(adir, ".zarray"), warn = FALSE), collapse = " ")
  nums <- function(key) {
    m <- regmatches(txt, regexpr(paste0("\"", key, "\": *\\[[^]]*\\]"), txt))
    as.integer(strsplit(gsub(".*\\[|\\]", "", m), ",")[[1L]])
  }
  list(shape = nums("shape"), chunks = nums("chunks"))
}

#' Draws `idx` (1-based, sorted) of a Zarr array, as a vector in draw-major
#' order (one draw after the other, each in R's column-major order); `cache`
#' (an environment) keeps the last chunk read, for draw-by-draw loops
#' @noRd
zarr_read <- function(adir, idx = NULL, cache = NULL) {
  m <- zarr_meta(adir)
  nT <- m$shape[1L]
  per <- prod(m$shape[-1L])
  ch <- m$chunks[1L]
  if (is.null(idx)) idx <- seq_len(nT)
  if (length(idx) == 0L || per == 0L) return(numeric(0))
  if (any(idx < 1L | idx > nT)) stop("internal: draws out of range in ", adir, call. = FALSE)
  chunk_of <- (idx - 1L) %/% ch
  out <- vector("list", length(unique(chunk_of)))
  for (u in seq_along(out)) {
    c <- unique(chunk_of)[u]
    key <- paste(c(c, rep(0L, length(m$shape) - 1L)), collapse = ".")
    f <- file.path(adir, key)
    v <- if (!is.null(cache) && identical(cache$file, f)) cache$value else {
      readBin(f, "double", n = per * ch, size = 8L, endian = "little")
    }
    if (!is.null(cache)) {
      cache$file <- f
      cache$value <- v
    }
    within <- idx[chunk_of == c] - c * ch
    out[[u]] <- v[as.vector(outer(seq_len(per), (within - 1L) * per, `+`))]
  }
  unlist(out, use.names = FALSE)
}

#' Fill a raw sampler output whose draws are on disk with the draws of every
#' quantity but the loadings
#' @noRd
slam_raw_from_disk <- function(raw, dir, saved = slam_saved_quantities) {
  for (nm in intersect(c("B", "BF", "psi", "h2", "h2F", "h2_total", "sigma2_b", "delta"), saved)) {
    raw[[nm]] <- zarr_read(file.path(dir, nm))
  }
  if ("family" %in% saved) raw$family_params <- zarr_read(file.path(dir, "family"))
  raw$Lambda <- NULL
  raw
}

#' A handle on the loadings of one or more chains on disk
#'
#' @param parts list of `list(dir, n, k)` per chain (the Zarr array, its
#'   number of draws and factors).
#' @param p,k number of traits and (largest) number of factors.
#' @param scale per-trait multiplier back to the data scale.
#' @noRd
slam_disk_array <- function(parts, p, k, scale, dimnames = NULL) {
  cache <- new.env(parent = emptyenv())
  structure(list(parts = parts, p = p, k = k, scale = scale, dimnames = dimnames, cache = cache),
            class = "slam_disk_array")
}

#' @export
dim.slam_disk_array <- function(x) {
  c(unclass(x)$p, unclass(x)$k, sum(vapply(unclass(x)$parts, function(q) as.integer(q$n), 1L)))
}

#' @export
dimnames.slam_disk_array <- function(x) unclass(x)$dimnames

#' @export
length.slam_disk_array <- function(x) prod(dim(x))

#' @export
print.slam_disk_array <- function(x, ...) {
  d <- dim(x)
  cat("Loadings on disk: ", d[1L], " traits x ", d[2L], " factors x ", d[3L], " draws in ",
      length(unclass(x)$parts), " Zarr array(s):\n", sep = "")
  for (q in unclass(x)$parts) cat("  ", q$dir, "\n")
  invisible(x)
}

#' Draws `t` of the loadings (all traits and factors), p x k x length(t),
#' data scale, factors of chains with fewer padded with zeros
#' @noRd
slam_disk_take <- function(x, t) {
  ux <- unclass(x)
  p <- ux$p
  k <- ux$k
  out <- array(0, c(p, k, length(t)))
  ends <- cumsum(vapply(ux$parts, function(q) as.integer(q$n), 1L))
  starts <- c(0L, ends[-length(ends)])
  for (c in seq_along(ux$parts)) {
    sel <- which(t > starts[c] & t <= ends[c])
    if (!length(sel)) next
    q <- ux$parts[[c]]
    v <- zarr_read(q$dir, t[sel] - starts[c], cache = ux$cache)
    if (q$k > 0L) out[, seq_len(q$k), sel] <- array(v, c(p, q$k, length(sel)))
  }
  out * ux$scale
}

#' @export
`[.slam_disk_array` <- function(x, i, j, t, drop = TRUE) {
  d <- dim(x)
  if (missing(t)) t <- seq_len(d[3L])
  if (is.logical(t)) t <- which(rep_len(t, d[3L]))
  A <- slam_disk_take(x, as.integer(t))
  dn <- dimnames(x)
  if (!is.null(dn)) dimnames(A) <- list(dn[[1L]], dn[[2L]], NULL)
  if (missing(i)) i <- seq_len(d[1L])
  if (missing(j)) j <- seq_len(d[2L])
  A[i, j, , drop = drop]
}

#' @export
as.array.slam_disk_array <- function(x, ...) {
  A <- slam_disk_take(x, seq_len(dim(x)[3L]))
  dn <- dimnames(x)
  if (!is.null(dn)) dimnames(A) <- list(dn[[1L]], dn[[2L]], NULL)
  A
}

#' @export
Ops.slam_disk_array <- function(e1, e2) {
  stop("loadings kept on disk are read by chunks: use slam_lambda_blocks(), or as.array() ",
       "to read them all.", call. = FALSE)
}

#' Blocks of draws to stream over: the chunks of loadings on disk, or all
#' draws of loadings in memory
#' @return A list of integer vectors of draw indices.
#' @noRd
slam_lambda_blocks <- function(L) {
  d <- dim(L)
  nT <- if (length(d) >= 3L) d[3L] else 0L
  if (!inherits(L, "slam_disk_array") || nT == 0L) return(list(seq_len(nT)))
  blocks <- list()
  start <- 0L
  for (q in unclass(L)$parts) {
    ch <- zarr_meta(q$dir)$chunks[1L]
    if (q$n > 0L) {
      b <- split(seq_len(q$n), (seq_len(q$n) - 1L) %/% ch)
      blocks <- c(blocks, lapply(b, function(v) v + start))
    }
    start <- start + as.integer(q$n)
  }
  unname(blocks)
}

#' Loadings of draws `idx` as an array (from memory or disk)
#' @noRd
slam_lambda_block <- function(L, idx) {
  if (inherits(L, "slam_disk_array")) slam_disk_take(L, idx) else L[, , idx, drop = FALSE]
}
