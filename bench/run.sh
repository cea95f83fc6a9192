#!/usr/bin/env bash
# Benchmark SLAMglmm: ms per iteration, set-up time and peak memory for
#   small (n, p, k) = (500, 200, 15), medium (1000, 1000, 20) [and large (2000, 5000, 50)]
# with one random effect with a genomic kinship, a 20-point h2 grid, complete data, on 1 and
# 2 threads; each configuration in a fresh Rscript process.
# Writes bench/results/latest.csv (the previous one becomes previous.csv), prints the
# comparison, and fills the performance table of README.md.
#
# --two-terms adds (1000, 1000, 20) with a genomic and an iid term (automatic and full-grid routes).
# --families adds (1000, 1000, 20) with every trait probit, and with every trait negative binomial.
# --layouts adds probes (500 x 12000 probes of 4000 genes, k = 25) and curves (1000 individuals x 10
#   times, 6 B-spline coefficients, k = 3), each beside the Gaussian model of the same latent size.
# --draws adds (1000, 5000, 30) with 2000 saved draws held in memory and streamed to disk (peak memory).
# --sweep adds p = 1000, 5000, 20000 at n = 1000, k = 100 (issue 10's linear-in-p check).
# Sizes not run keep their rows from the previous bench/results/latest.csv.
# Usage: bash bench/run.sh [--large] [--two-terms] [--families] [--layouts] [--draws] [--sweep] [--no-install] [--no-readme] [--sizes "small medium"]
#                          [--threads "1 2"] [--nitt N]
#   --no-install  use the installed SLAMglmm instead of installing this checkout first
set -euo pipefail
cd "$(dirname "$0")/.."
[ -d "$HOME/.cargo/bin" ] && export PATH="$HOME/.cargo/bin:$PATH"

SIZES="small medium"; THREADS="1 2"; INSTALL=1; README=README.md; NITT=""
while [ $# -gt 0 ]; do
  case "$1" in
    --large) SIZES="small medium large" ;;
    --two-terms) SIZES="$SIZES two_terms two_terms_full" ;;
    --families) SIZES="$SIZES probit negbin" ;;
    --layouts) SIZES="$SIZES probes probes_gauss curves curves_gauss" ;;
    --draws) SIZES="$SIZES draws_memory draws_disk" ;;
    --sweep) SIZES="$SIZES p1000 p5000 p20000" ;;
    --sizes) SIZES="$2"; shift ;;
    --threads) THREADS="$2"; shift ;;
    --nitt) NITT="$2"; shift ;;
    --no-install) INSTALL=0 ;;
    --no-readme) README="" ;;
    -h|--help) sed -n '2,16p' "$0"; exit 0 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
  shift
done

WORK="${TMPDIR:-/tmp}/slamglmm-bench"
mkdir -p "$WORK" bench/results
if [ "$INSTALL" = 1 ]; then
  LIB="$WORK/lib"; mkdir -p "$LIB"
  echo "installing this checkout into $LIB ..."
  if ! R CMD INSTALL -l "$LIB" . > "$WORK/install.log" 2>&1; then
    tail -n 40 "$WORK/install.log"; exit 1
  fi
  export R_LIBS="$LIB${R_LIBS:+:$R_LIBS}"
fi

for s in $SIZES; do
  if [ ! -f "$WORK/data/$s.rds" ]; then Rscript bench/bench.R simulate "$s" "$WORK/data"; fi
done

RAW="$WORK/raw.csv"; rm -f "$RAW"
for s in $SIZES; do
  for t in $THREADS; do
    Rscript bench/bench.R run "$s" "$t" "$WORK/data" "$RAW" $NITT
  done
done

DATE=$(date -u '+%Y-%m-%d %H:%M UTC')
CPU=$(sed -n 's/^model name[[:space:]]*:[[:space:]]*//p' /proc/cpuinfo | head -n 1)
MACHINE="$(nproc) cores, ${CPU:-unknown CPU}"
COMMIT=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
if [ -n "$(git status --porcelain --untracked-files=no -- . ':!bench' ':!README.md' 2>/dev/null)" ]; then COMMIT="$COMMIT-dirty"; fi
Rscript bench/report.R "$RAW" "$DATE" "$MACHINE" "$COMMIT" "$README"
