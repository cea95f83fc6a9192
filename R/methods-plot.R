# Base-graphics plots of a fit: traces and densities of heritabilities and a
# heat map of the genetic correlation matrix.

#' Plot a SLAMglmm fit
#'
#' Draws, on one page, the trace (one colour per chain) and the posterior density of the heritability
#' (`diag(G)/diag(P)`) of the first few traits, and a heat map of the genetic
#' correlation matrix (the correlations of the posterior-mean covariance matrix
#' of the random-effect term; see [genetic_cor()]).
#'
#' @param x a fitted `SLAMglmm` object.
#' @param which any of `"trace"`, `"density"` and `"gcor"`.
#' @param traits the traits (names or indices) whose heritabilities are
#'   plotted; default the first `max_traits`.
#' @param max_traits the number of traits plotted by default.
#' @param term the random-effect term (name or index); default the first.
#' @param ... passed to [graphics::image()] for the heat map.
#' @return `x`, invisibly.
#' @examples
#' \donttest{
#' data(slam_pheno, slam_kinship)
#' fit <- SLAMglmm(cbind(y1, y2, y3, y4) ~ sex + (1 | animal), data = slam_pheno,
#'                 relmat = list(animal = slam_kinship), n_factors = 2,
#'                 nitt = 600, burnin = 200, thin = 2, verbose = FALSE)
#' plot(fit)
#' plot(fit, which = "gcor")
#' }
#' @method plot SLAMglmm
#' @export
plot.SLAMglmm <- function(x, which = c("trace", "density", "gcor"), traits = NULL,
                          max_traits = 4, term = NULL, ...) {
  which <- match.arg(which, c("trace", "density", "gcor"), several.ok = TRUE)
  all_tr <- slam_traits(x)
  if (length(slam_terms(x)) == 0L) {
    stop("this fit has no random-effect term: there is no heritability or genetic correlation to plot.",
         call. = FALSE)
  }
  m <- slam_term_index(x, term)
  tm <- slam_terms(x)[m]
  if (is.null(traits)) traits <- all_tr[seq_len(min(length(all_tr), max_traits))]
  if (is.numeric(traits)) traits <- all_tr[traits]
  if (anyNA(traits) || !all(traits %in% all_tr)) {
    stop("`traits` must be trait names or indices of this fit.", call. = FALSE)
  }
  per_trait <- intersect(which, c("trace", "density"))
  gcor <- "gcor" %in% which
  nt <- length(traits)
  nc <- length(per_trait)

  old <- graphics::par(no.readonly = TRUE)
  on.exit(graphics::par(old))

  # layout: one row per trait with trace and/or density; the heat map on the right
  if (nc > 0L) {
    lay <- matrix(seq_len(nt * nc), nt, nc, byrow = TRUE)
    widths <- rep(1, nc)
    if (gcor) {
      lay <- cbind(lay, nt * nc + 1L)
      widths <- c(widths, max(1.4, nt * 0.5))
    }
  } else {
    lay <- matrix(1L)
    widths <- 1
  }
  graphics::layout(lay, widths = widths)

  if (nc > 0L) {
    x_h2 <- slam_h2_draws(x, m, "total")
    ch <- slam_draw_chain(x)
    n_ch <- max(ch)
    a <- slam_mcmc_attr(x, ncol(x_h2))
    # each chain's draws at their own iterations
    iters <- a[["start"]] + (stats::ave(ch, ch, FUN = seq_along) - 1) * a[["thin"]]
    chain_col <- if (n_ch == 1L) "grey30" else grDevices::hcl.colors(n_ch, "Dark 3")
    graphics::par(mar = c(3.2, 3.2, 2, 0.8), mgp = c(2, 0.6, 0), cex = 0.8)
    for (tr in traits) {
      v <- x_h2[tr, ]
      if ("trace" %in% per_trait) {
        graphics::plot(range(iters), c(0, 1), type = "n", xlab = "iteration", ylab = "h2",
                       main = paste0("Trace: h2 of ", tr))
        for (c in seq_len(n_ch)) {
          graphics::lines(iters[ch == c], v[ch == c], col = chain_col[c])
        }
        graphics::abline(h = mean(v), col = "firebrick", lty = 2)
      }
      if ("density" %in% per_trait) {
        if (stats::sd(v) > 0) {
          d <- stats::density(v, from = 0, to = 1)
          graphics::plot(d, main = paste0("Posterior: h2 of ", tr), xlab = "h2", xlim = c(0, 1))
          graphics::polygon(c(d$x[1L], d$x, d$x[length(d$x)]), c(0, d$y, 0),
                            col = grDevices::adjustcolor("steelblue", 0.3), border = NA)
        } else {
          graphics::plot(v[1L], 0, xlim = c(0, 1), main = paste0("Posterior: h2 of ", tr),
                         xlab = "h2", ylab = "", yaxt = "n")
        }
        graphics::abline(v = mean(v), col = "firebrick", lty = 2)
      }
    }
  }
  if (gcor) {
    C <- genetic_cor(x, term = m)
    plot_cor_heatmap(C, main = paste0("Genetic correlations (", tm, ")"), ...)
  }
  invisible(x)
}

#' Heat map of a correlation matrix with base graphics
#' @noRd
plot_cor_heatmap <- function(C, main = "", ...) {
  p <- nrow(C)
  cols <- grDevices::hcl.colors(41L, "Blue-Red 3")
  lab <- rownames(C)
  if (is.null(lab)) lab <- as.character(seq_len(p))
  show_lab <- p <= 40L
  graphics::par(mar = c(if (show_lab) 4 else 2, if (show_lab) 4 else 2, 2.5, 4.5),
                mgp = c(2, 0.6, 0), cex = 0.8)
  # rows from top to bottom as in a printed matrix
  graphics::image(seq_len(p), seq_len(p), t(C[p:1, , drop = FALSE]), zlim = c(-1, 1), col = cols,
                  axes = FALSE, xlab = "", ylab = "", main = main, useRaster = p > 100L, ...)
  if (show_lab) {
    graphics::axis(1, at = seq_len(p), labels = lab, las = 2, tick = FALSE)
    graphics::axis(2, at = seq_len(p), labels = rev(lab), las = 1, tick = FALSE)
  }
  graphics::box()
  # colour key on the right
  usr <- graphics::par("usr")
  xk <- usr[2L] + c(0.03, 0.07) * diff(usr[1:2])
  yk <- seq(usr[3L], usr[4L], length.out = length(cols) + 1L)
  op <- graphics::par(xpd = NA)
  graphics::rect(xk[1L], yk[-length(yk)], xk[2L], yk[-1L], col = cols, border = NA)
  graphics::text(xk[2L], c(usr[3L], mean(usr[3:4]), usr[4L]), labels = c("-1", "0", "1"),
                 pos = 4, cex = 0.8)
  graphics::par(op)
  invisible(NULL)
}
