# Mixing benchmark (issue 10, "factors that mix"): effective samples per 1000 draws and per second of
# the identified quantities of four factor models, run with fixed nitt / burnin / thin.
#
#   Rscript bench/mixing.R LABEL [--lib=PATH] [--data=DIR] [--only=gryphon,bluetits,mice,sim]
#                                [--scale=1] [--threads=2] [--seed=11] [--control=NAME=VALUE]
#
# LABEL names the output, bench/results/mixing-LABEL.md (a markdown table; one row per model and
# group of quantities) and bench/results/mixing-LABEL.csv (one row per quantity). --lib puts a library
# first on .libPaths() (to compare an installed build with another); --scale multiplies nitt, burnin
# and thin (0.2 for a quick look); --seed sets the seed of every run; --control passes one more argument to SLAMglmm() (e.g.
# --control=collapse_factors=FALSE where the build has such a switch).
#
# Models (adapt = FALSE: the number of factors is fixed, so every run samples the same model):
# * gryphon (Wilson et al. 2010): cbind(BWT, TARSUS) ~ SEX + (1 | ANIMAL) + (1 | MOTHER) + (1 | BYEAR),
#   pedigree relationship of ANIMAL, 2 factors;
# * bluetits (Hadfield et al. 2007): cbind(tarsus, back) ~ sex + (1 | animal) + (1 | dam) +
#   (1 | fosternest), factor_formula ~ (1 | animal) + (1 | dam), 2 factors (the vignette's model);
# * mice (Valdar et al. 2006): the 17 blood biochemistry traits ~ GENDER + (1 | SUBJECT.NAME) with the
#   pedigree relationship matrix, 6 factors;
# * sim: bench/bench.R's "small" size, (n, p, k) = (500, 200, 15), Y ~ 1 + (1 | id), 15 factors;
# * gryphon_default, bluetits_default (not run unless named in --only): the same models with the
#   package's defaults for few traits (n_factors and adapt not given).
#
# Quantities, computed per draw from Lambda, h2F, h2 and psi (as VarCorr() forms them):
# h2_total of every trait; entries (lower triangle with diagonal) of every G_m and of R, and the
# correlations of every G_m, on the first 10 traits (all traits when p <= 10); the factors' shares h2F
# (not identified across runs, but the block the issue is about). ESS is posterior::ess_bulk.
suppressPackageStartupMessages({
  args <- commandArgs(trailingOnly = TRUE)
  opt <- function(name, default) {
    a <- grep(paste0("^--", name, "="), args, value = TRUE)
    if (length(a)) sub(paste0("^--", name, "="), "", a[length(a)]) else default
  }
  label <- if (length(args) && !startsWith(args[1], "--")) args[1] else "run"
  lib <- opt("lib", "")
  if (nzchar(lib)) .libPaths(c(lib, .libPaths()))
  library(SLAMglmm)
})
data_dir <- opt("data", "/work/shared/data")
only <- strsplit(opt("only", "gryphon,bluetits,mice,sim"), ",")[[1]]
scale <- as.numeric(opt("scale", "1"))
threads <- as.integer(opt("threads", "2"))
seed <- as.integer(opt("seed", "11"))
ctrl <- grep("^--control=", args, value = TRUE)
extra <- list()
for (c in ctrl) {
  kv <- strsplit(sub("^--control=", "", c), "=")[[1]]
  extra[[kv[1]]] <- utils::type.convert(kv[2], as.is = TRUE)
}

# ---- models ---------------------------------------------------------------------------------
models <- list()
models$gryphon <- function() {
  gp <- utils::read.csv(file.path(data_dir, "gryphon/gryphon_pheno.csv"))
  for (v in c("ANIMAL", "MOTHER", "BYEAR", "SEX")) gp[[v]] <- factor(gp[[v]])
  ped <- utils::read.csv(file.path(data_dir, "gryphon/gryphon_pedigree.csv"))
  ped$dam <- ped$animal[ped$dam]
  ped$sire <- ped$animal[ped$sire]
  list(args = list(formula = cbind(BWT, TARSUS) ~ SEX + (1 | ANIMAL) + (1 | MOTHER) + (1 | BYEAR),
                   data = gp, relmat = list(ANIMAL = ped), n_factors = 2),
       nitt = 6000, burnin = 1000, thin = 5)
}
models$bluetits <- function() {
  e <- new.env()
  utils::data(BTdata, BTped, package = "SLAMglmm", envir = e)
  list(args = list(formula = cbind(tarsus, back) ~ sex + (1 | animal) + (1 | dam) + (1 | fosternest),
                   data = e$BTdata, relmat = list(animal = e$BTped),
                   factor_formula = ~ (1 | animal) + (1 | dam), n_factors = 2),
       nitt = 20000, burnin = 2000, thin = 18)
}
# The same two models with the package's defaults for few traits (n_factors and adapt not given:
# (M + 1) p factors, all kept, the traits' own shares purely residual).
with_defaults <- function(spec) {
  spec$args$n_factors <- NULL
  spec$defaults <- TRUE
  spec
}
models$gryphon_default <- function() with_defaults(models$gryphon())
models$bluetits_default <- function() with_defaults(models$bluetits())
models$mice <- function() {
  ph <- utils::read.csv(file.path(data_dir, "mice/mice_pheno.csv"), stringsAsFactors = TRUE)
  A <- as.matrix(utils::read.csv(gzfile(file.path(data_dir, "mice/mice_A_pedigree_relationship.csv.gz")),
                                 row.names = 1, check.names = FALSE))
  tr <- paste0("Biochem.", c("Albumin", "ALP", "ALT", "AST", "Calcium", "Chloride", "Creatinine",
                             "Glucose", "HDL", "LDL", "Phosphorous", "Potassium", "Sodium",
                             "Tot.Cholesterol", "Tot.Protein", "Triglycerides", "Urea"))
  form <- stats::as.formula(paste0("cbind(", paste(tr, collapse = ", "), ") ~ GENDER + (1 | SUBJECT.NAME)"))
  list(args = list(formula = form, data = ph, relmat = list(SUBJECT.NAME = A), n_factors = 6),
       nitt = 3000, burnin = 1000, thin = 2)
}
models$sim <- function() {
  # bench/bench.R's "small" size, (n, p, k) = (500, 200, 15), simulated by bench.R itself (seed 20260101)
  dir <- tempfile("mixing-sim")
  status <- system2(file.path(R.home("bin"), "Rscript"), c("bench/bench.R", "simulate", "small", dir),
                    stdout = FALSE)
  if (status != 0L) stop("bench/bench.R could not simulate the small size (run from the repository root)")
  dat <- readRDS(file.path(dir, "small.rds"))
  unlink(dir, recursive = TRUE)
  d <- dat$d
  d$Y <- dat$Y
  list(args = list(formula = Y ~ 1 + (1 | id), data = d, relmat = list(id = dat$K), n_factors = 15L,
                   prior = slam_prior(h2 = list(divisions = 20))),
       nitt = 6000, burnin = 1000, thin = 5)
}

# ---- identified quantities per draw ---------------------------------------------------------
slice_term <- function(x, m, M, nT) {
  d <- dim(x)
  if (length(d) == 3L) return(matrix(x[, m, ], d[1], nT))
  matrix(x, length(x) / nT, nT)
}

quantities <- function(fit, n_cov = 10L) {
  dr <- fit$draws
  psi <- dr$psi
  p <- nrow(psi); nT <- ncol(psi)
  tms <- as.character(fit$terms)
  M <- length(tms)
  L <- dr$Lambda
  k <- if (length(dim(L)) == 3L) dim(L)[2] else 0L
  q <- seq_len(min(p, n_cov))
  lt <- which(lower.tri(matrix(0, length(q), length(q)), diag = TRUE), arr.ind = TRUE)
  off <- lt[, 1] != lt[, 2]
  out <- list()
  h2t <- dr$h2_total
  for (m in seq_len(M)) {
    hm <- slice_term(h2t, m, M, nT)
    out[[paste0("h2_total_", tms[m])]] <- t(hm)
  }
  sumW <- matrix(0, k, nT); sumD <- matrix(0, p, nT)
  cov_of <- function(W, D) {
    # per draw: Lambda_q diag(W) Lambda_q' + diag(D_q), lower triangle
    vapply(seq_len(nT), function(t) {
      Lq <- matrix(L[q, , t], length(q), k)
      S <- Lq %*% (W[, t] * t(Lq))
      diag(S) <- diag(S) + D[q, t]
      S[lt]
    }, numeric(nrow(lt)))
  }
  for (m in seq_len(M)) {
    h2m <- slice_term(dr$h2, m, M, nT)
    W <- if (k > 0) slice_term(dr$h2F, m, M, nT) else matrix(0, 0, nT)
    D <- h2m * psi
    sumW <- sumW + W; sumD <- sumD + D
    G <- cov_of(W, D)
    out[[paste0("G_", tms[m])]] <- t(matrix(G, nrow(lt)))
    dg <- G[!off, , drop = FALSE]
    ii <- match(lt[off, 1], lt[!off, 1]); jj <- match(lt[off, 2], lt[!off, 1])
    if (any(off)) {
      gc_ <- G[off, , drop = FALSE] / sqrt(dg[ii, , drop = FALSE] * dg[jj, , drop = FALSE])
      gc_[!is.finite(gc_)] <- 0   # a draw with no variance of this term: correlation taken as 0
      out[[paste0("gcor_", tms[m])]] <- t(matrix(gc_, sum(off)))
    }
    if (k > 0) out[[paste0("h2F_", tms[m])]] <- t(W)
  }
  out$R <- t(matrix(cov_of(1 - sumW, psi - sumD), nrow(lt)))
  out
}

ess_table <- function(qs, n_draws, secs) {
  do.call(rbind, lapply(names(qs), function(nm) {
    x <- qs[[nm]]
    if (ncol(x) == 0L) return(NULL)
    keep <- vapply(seq_len(ncol(x)), function(c) isTRUE(stats::sd(x[, c]) > 0), logical(1))
    if (!any(keep)) return(NULL)
    e <- apply(x[, keep, drop = FALSE], 2, posterior::ess_bulk)
    data.frame(group = nm, n = length(e), median_per1000 = stats::median(e) / n_draws * 1000,
               min_per1000 = min(e) / n_draws * 1000, median_per_s = stats::median(e) / secs,
               min_per_s = min(e) / secs)
  }))
}

rows <- list(); per_q <- list()
for (nm in only) {
  spec <- models[[nm]]()
  a <- c(spec$args, list(nitt = round(spec$nitt * scale), burnin = round(spec$burnin * scale),
                         thin = max(1L, round(spec$thin * scale)), threads = threads, verbose = FALSE,
                         adapt = FALSE), extra)
  if (isTRUE(spec$defaults)) a$adapt <- NULL
  set.seed(seed)
  t0 <- proc.time()[["elapsed"]]
  fit <- do.call(SLAMglmm, a)
  secs <- proc.time()[["elapsed"]] - t0
  qs <- quantities(fit)
  nd <- ncol(fit$draws$psi)
  tab <- ess_table(qs, nd, secs)
  tab <- cbind(model = nm, nitt = a$nitt, draws = nd, seconds = round(secs, 1), tab)
  rows[[nm]] <- tab
  cat(sprintf("%s: %d iterations, %d draws, %.1f s\n", nm, a$nitt, nd, secs))
  print(tab[, -(1:4)], digits = 3, row.names = FALSE)
  if (ncol(x <- do.call(cbind, qs)) == 0L) next
  per_q[[nm]] <- do.call(rbind, lapply(names(qs), function(g) {
    x <- qs[[g]]
    data.frame(model = nm, group = g, quantity = seq_len(ncol(x)),
               mean = colMeans(x), ess = apply(x, 2, function(v) if (isTRUE(stats::sd(v) > 0)) posterior::ess_bulk(v) else NA))
  }))
  rm(fit); invisible(gc())
}

res <- do.call(rbind, rows)
dir.create("bench/results", showWarnings = FALSE, recursive = TRUE)
md <- file.path("bench/results", paste0("mixing-", label, ".md"))
fmt <- function(x, d = 1) formatC(x, format = "f", digits = d)
lines <- c(sprintf("# Mixing benchmark: %s", label), "",
           sprintf("`Rscript bench/mixing.R %s` (%s; commit %s; %d threads; ESS = posterior::ess_bulk)",
                   paste(args, collapse = " "), format(Sys.time(), "%Y-%m-%d %H:%M"),
                   tryCatch(system("git rev-parse --short HEAD", intern = TRUE), error = function(e) "?"),
                   threads), "",
           "| model | nitt | draws | s | quantities | n | ESS/1000 median | ESS/1000 min | ESS/s median | ESS/s min |",
           "|---|---|---|---|---|---|---|---|---|---|",
           sprintf("| %s | %d | %d | %s | %s | %d | %s | %s | %s | %s |", res$model, as.integer(res$nitt),
                   as.integer(res$draws), fmt(res$seconds), res$group, as.integer(res$n),
                   fmt(res$median_per1000, 0), fmt(res$min_per1000, 0), fmt(res$median_per_s, 2),
                   fmt(res$min_per_s, 2)))
writeLines(lines, md)
utils::write.csv(do.call(rbind, per_q), sub("\\.md$", ".csv", md), row.names = FALSE)
cat("wrote", md, "\n")
