# Combine the per-configuration results into bench/results/latest.csv (the previous one is
# kept as previous.csv), print them against the targets and the previous run, and fill the
# README's performance table (between the bench:start/bench:end markers).
#   Rscript bench/report.R RAWCSV DATE MACHINE COMMIT [README]
args <- commandArgs(trailingOnly = TRUE)
raw <- utils::read.csv(args[1], stringsAsFactors = FALSE)
date <- args[2]; machine <- args[3]; commit <- args[4]
readme <- if (length(args) >= 5) args[5] else ""
dir <- "bench/results"
latest <- file.path(dir, "latest.csv"); previous <- file.path(dir, "previous.csv")

res <- data.frame(date = date, machine = machine, commit = commit, raw, stringsAsFactors = FALSE)
targets <- c(small = 7, medium = 40)
# Issue 3: two terms at most 3x the one-term (medium) time of the same run, single thread.
m1 <- res$ms_per_iter[res$size == "medium" & res$threads == 1]
if (length(m1) == 1) targets <- c(targets, two_terms = round(3 * m1, 1))
# Issue 7: every trait probit or negative binomial at most 4x the Gaussian (medium) time.
if (length(m1) == 1) targets <- c(targets, probit = round(4 * m1, 1), negbin = round(4 * m1, 1))
prev <- NULL
if (file.exists(latest)) {
  file.copy(latest, previous, overwrite = TRUE)
  prev <- utils::read.csv(previous, stringsAsFactors = FALSE)
  # sizes not run this time keep their previous rows (with their own date and commit)
  keep <- !paste(prev$size, prev$threads) %in% paste(res$size, res$threads)
  if (any(keep)) res <- rbind(res, prev[keep, names(res)])
}
utils::write.csv(res, latest, row.names = FALSE)

cat(sprintf("\nSLAMglmm benchmark, %s, %s, commit %s\n\n", date, machine, commit))
cat(sprintf("%-14s %7s %9s %12s %9s %11s  %s\n", "size", "threads", "setup_s", "ms_per_iter",
            "peak_mb", "target", "previous ms/iter"))
for (i in seq_len(nrow(res))) {
  r <- res[i, ]
  if (r$commit != commit) next
  tg <- if (r$threads == 1 && r$size %in% names(targets)) targets[[r$size]] else NA
  tgs <- if (is.na(tg)) "" else sprintf("<= %g %s", tg, if (r$ms_per_iter <= tg) "ok" else "MISSED")
  ps <- ""
  if (!is.null(prev)) {
    j <- which(prev$size == r$size & prev$threads == r$threads)
    if (length(j)) ps <- sprintf("%.2f (%+.0f%%, %s)", prev$ms_per_iter[j[1]],
                                 100 * (r$ms_per_iter / prev$ms_per_iter[j[1]] - 1), prev$commit[j[1]])
  }
  cat(sprintf("%-14s %7d %9.2f %12.2f %9.0f %11s  %s\n", r$size, r$threads, r$setup_s,
              r$ms_per_iter, r$peak_mb, tgs, ps))
}
cat(sprintf("\nwrote %s%s\n", latest, if (!is.null(prev)) sprintf(" (previous run in %s)", previous) else ""))

if (nzchar(readme) && file.exists(readme)) {
  lines <- readLines(readme)
  a <- grep("<!-- bench:start -->", lines, fixed = TRUE)
  b <- grep("<!-- bench:end -->", lines, fixed = TRUE)
  if (length(a) == 1 && length(b) == 1 && b > a) {
    w <- stats::reshape(res[, c("size", "n", "p", "k", "threads", "setup_s", "ms_per_iter", "peak_mb")],
                        idvar = c("size", "n", "p", "k"), timevar = "threads", direction = "wide")
    col <- function(nm) if (nm %in% names(w)) w[[nm]] else rep(NA, nrow(w))
    fmt <- function(x, f) ifelse(is.na(x), "-", sprintf(f, x))
    tab <- c(
      "| size | n | p | k | ms/iter, 1 thread | ms/iter, 2 threads | set-up (s), 1 thread | peak memory (MB), 1 / 2 threads | target, 1 thread |",
      "|---|---:|---:|---:|---:|---:|---:|---:|---|",
      sprintf("| %s | %d | %d | %d | %s | %s | %s | %s / %s | %s |", w$size, w$n, w$p, w$k,
              fmt(col("ms_per_iter.1"), "%.1f"), fmt(col("ms_per_iter.2"), "%.1f"),
              fmt(col("setup_s.1"), "%.2f"), fmt(col("peak_mb.1"), "%.0f"),
              fmt(col("peak_mb.2"), "%.0f"),
              ifelse(w$size %in% names(targets),
                     paste0("<= ", targets[w$size], " ms/iter",
                            ifelse(w$size == "two_terms", " (3x medium)",
                                   ifelse(w$size %in% c("probit", "negbin"), " (4x medium)", ""))), "-")),
      "",
      sprintf("Measured %s on %s (commit %s) by `bench/run.sh`%s.", date, machine, commit,
              if (any(res$commit != commit)) paste0("; rows not run then (",
                  paste(unique(res$size[res$commit != commit]), collapse = ", "),
                  ") are from earlier runs, see bench/results/latest.csv") else ""))
    lines <- c(lines[seq_len(a)], tab, lines[b:length(lines)])
    writeLines(lines, readme)
    cat("updated the performance table in", readme, "\n")
  }
}
