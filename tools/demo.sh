#!/usr/bin/env bash
# One command for a fresh Debian 12 machine (as root): install the dependencies, install
# SLAMglmm from this checkout, and run the demo fit on the example data the package ships
# (prints the summary, writes slamglmm-demo.png).
# Usage: bash tools/demo.sh [output.png]
set -euo pipefail
cd "$(dirname "$0")/.."
OUT="${1:-slamglmm-demo.png}"

bash tools/install-deps.sh
if [ -d "$HOME/.cargo/bin" ]; then export PATH="$HOME/.cargo/bin:$PATH"; fi

# Install into the first library R uses; fall back to the user library when it is not writable.
LIB=$(Rscript -e 'cat(.libPaths()[1])')
if [ ! -w "$LIB" ]; then
  LIB=$(Rscript -e 'cat(path.expand(Sys.getenv("R_LIBS_USER")))')
  mkdir -p "$LIB"
fi
LOG="${TMPDIR:-/tmp}/slamglmm-install.log"
echo "installing SLAMglmm into $LIB (the first build compiles the Rust core: a few minutes; log: $LOG) ..."
if ! R CMD INSTALL -l "$LIB" . > "$LOG" 2>&1; then
  echo "ERROR: R CMD INSTALL failed; last lines of $LOG:" >&2
  tail -n 60 "$LOG" >&2
  exit 1
fi
echo "SLAMglmm installed."

R_LIBS="$LIB${R_LIBS:+:$R_LIBS}" Rscript inst/demo/demo.R "$OUT"
echo "demo plot: $OUT"
