# Several probes per gene: the response's columns are probes, each measuring one gene; the genes are
# the traits of the model. slam_probes() declares the layout, slam_probe_layout() checks it.

#' Expression data with several probes per gene
#'
#' `family = slam_probes(gene = ...)` declares that the columns of the response
#' are probes (e.g. of an expression array) and that each measures one gene:
#' the model's traits are then the genes, one latent trait per gene, and
#' probe q of gene j is
#' \deqn{y_{iq} = \mu_q + h_{ij} + e_{iq}, \qquad e_{iq} \sim N(0, 1/\rho_q),}{y_iq = mu_q + h_ij + e_iq,   e_iq ~ N(0, 1/rho_q),}
#' with a probe effect `mu_q` (the probe effects of a gene sum to zero; the
#' gene's mean is its intercept) and a probe precision `rho_q` (prior
#' `Gamma(shape, rate)` from [slam_prior()]`$probes`, on the scale of the
#' gene's standardised probes). The genes' latent values are drawn given their
#' probes each iteration, weighting each probe by its precision, so noisy
#' probes count less than reliable ones. Genes with one probe, and probes with
#' missing values, are fine; with a single probe the probe's error and the
#' model's residual are told apart by the prior of `rho` only.
#'
#' The fit's `probe_effects` holds the posterior means and standard deviations
#' of each probe's effect and precision (data scale); `VarCorr()`, `h2()`,
#' `ranef()` and the other extractors report the genes.
#'
#' @param gene the gene of each column (probe) of the response: a vector with
#'   one element per column (in column order, or named by the column names).
#' @return An object of class `c("slam_probes", "slam_family")`.
#' @seealso [SLAMglmm()]
#' @examples
#' set.seed(1)
#' n <- 120
#' d <- data.frame(line = factor(rep(1:30, each = 4)))
#' g <- matrix(rnorm(30 * 3), 30, 3)[d$line, ] + matrix(rnorm(n * 3), n, 3)  # 3 genes
#' gene <- c("A", "A", "B", "B", "B", "C")
#' P <- g[, match(gene, c("A", "B", "C"))] + matrix(rnorm(n * 6, sd = 0.5), n, 6)
#' colnames(P) <- paste0("probe", 1:6)
#' fit <- SLAMglmm(P ~ 1 + (1 | line), data = d, family = slam_probes(gene = gene),
#'                 n_factors = 1, nitt = 600, burnin = 200, thin = 2, verbose = FALSE)
#' fit$probe_effects
#' h2(fit)
#' @export
slam_probes <- function(gene) {
  if (missing(gene) || is.null(gene) || !is.atomic(gene) || length(gene) == 0L) {
    slam_stop("`gene` of slam_probes() must be a vector giving the gene of every probe (column of the ",
              "response).", arg = "family")
  }
  if (anyNA(gene) || any(as.character(gene) == "")) {
    slam_stop("`gene` of slam_probes() has missing or empty gene names: every probe must be mapped to ",
              "a gene.", arg = "family")
  }
  structure(list(family = "probes", link = "identity", offset = NULL, gene = gene,
                 label = "probes of genes (identity link)"),
            class = c("slam_probes", "slam_family"))
}

#' The probe layout of a response
#'
#' @param cols named list of the response's columns (probes).
#' @param fam the `slam_probes` object.
#' @param n number of rows.
#' @return A list with `genes` (trait names, in order of first appearance),
#'   `gene_of` (integer index into `genes` per probe), `probes` (probe names)
#'   and `P` (n x Q double matrix of the probe values).
#' @noRd
slam_probe_layout <- function(cols, fam, n) {
  probes <- names(cols)
  gene <- fam$gene
  Q <- length(cols)
  if (!is.null(names(gene)) && all(probes %in% names(gene))) {
    gene <- gene[probes]
  } else if (length(gene) != Q) {
    slam_stop("`gene` of slam_probes() has ", length(gene), " elements but the response has ", Q,
              " columns (probes); give one gene per probe, in column order or named by the columns.",
              arg = "family")
  }
  gene <- as.character(gene)
  bad <- probes[!vapply(cols, is.numeric, TRUE)]
  if (length(bad)) {
    slam_stop("probe(s) ", paste0("'", utils::head(bad, 5L), "'", collapse = ", "),
              " are not numeric.", arg = "formula")
  }
  P <- matrix(as.double(unlist(cols, use.names = FALSE)), n, Q, dimnames = list(NULL, probes))
  if (any(is.infinite(P))) slam_stop("the probe values have infinite values.", arg = "formula")
  few <- probes[colSums(!is.na(P)) < 2L]
  if (length(few)) {
    slam_stop("probe(s) ", paste0("'", utils::head(few, 5L), "'", collapse = ", "),
              " have fewer than 2 observed values.", arg = "formula")
  }
  genes <- unique(gene)
  gene_of <- match(gene, genes)
  for (g in seq_along(genes)) {
    v <- P[, gene_of == g]
    v <- v[!is.na(v)]
    if (length(v) < 2L || all(v == v[1L])) {
      slam_stop("the probes of gene '", genes[g], "' are constant or have fewer than 2 observed ",
                "values.", arg = "formula")
    }
  }
  list(genes = genes, gene_of = gene_of, probes = probes, P = P)
}

#' Standardise the probes gene by gene and make the sampler's probe sets
#'
#' All probes of a gene share one centre (the mean of the probes' means, with
#' an intercept) and one scale (the median over probes of each probe's sd
#' about its own mean), so that the model `y = mu_q + h + e` keeps its meaning
#' on the standardised scale.
#'
#' @return A list with `sets` (for the bridge), `center`, `scale` (per gene).
#' @noRd
slam_probe_scale <- function(layout, has_intercept) {
  G <- length(layout$genes)
  center <- scale <- stats::setNames(numeric(G), layout$genes)
  sets <- vector("list", G)
  for (g in seq_len(G)) {
    v <- layout$P[, layout$gene_of == g, drop = FALSE]
    # the gene's scale is its typical probe's sd about that probe's own mean: neither the spread of
    # probe effects nor one noisy probe inflates it (the priors act on this scale)
    means <- colMeans(v, na.rm = TRUE)
    within <- apply(v, 2L, stats::var, na.rm = TRUE)
    center[g] <- if (has_intercept) mean(means) else 0
    scale[g] <- sqrt(stats::median(within))
    if (!(scale[g] > 0)) scale[g] <- sd_scaled(v[!is.na(v)])
    sets[[g]] <- list(trait = g, Y = unname((v - center[g]) / scale[g]))
  }
  list(sets = sets, center = center, scale = scale)
}

#' Posterior summaries of the probes on the data scale
#' @noRd
slam_probe_effects <- function(raw, layout, scale) {
  if (is.null(layout)) return(NULL)
  rows <- lapply(seq_along(layout$genes), function(g) {
    m <- raw[[g]]
    s <- scale[[g]]
    data.frame(probe = layout$probes[layout$gene_of == g], gene = layout$genes[g],
               effect = m[, 1L] * s, effect_sd = m[, 2L] * s,
               precision = m[, 3L] / s^2, precision_sd = m[, 4L] / s^2,
               stringsAsFactors = FALSE)
  })
  out <- do.call(rbind, rows)
  out[match(layout$probes, out$probe), , drop = FALSE] -> out
  rownames(out) <- NULL
  out
}
