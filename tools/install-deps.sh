#!/usr/bin/env bash
# Install what SLAMglmm needs on Debian 12 (run as root, or as a user with sudo):
# R, the R packages it uses, pandoc and xz from Debian, always with --no-install-recommends.
# Cargo/rustc (>= 1.89) are not installed here: Debian 12's cargo is too old, use rustup.
# Idempotent: does nothing when everything is already installed.  apt's output goes to a log
# file, whose tail is printed on failure.
set -euo pipefail

PKGS=(r-base-core r-base-dev r-cran-matrix r-cran-lme4 r-cran-testthat r-cran-knitr
      r-cran-rmarkdown r-cran-roxygen2 r-cran-coda r-cran-posterior r-cran-future
      r-cran-future.apply r-cran-progressr pandoc xz-utils ca-certificates file)

missing=()
for p in "${PKGS[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done

if [ "${#missing[@]}" -gt 0 ]; then
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
      echo "ERROR: need root (or sudo) to install: ${missing[*]}" >&2; exit 1
    fi
  fi
  LOG="${TMPDIR:-/tmp}/slamglmm-apt.log"
  echo "installing Debian packages: ${missing[*]} (log: $LOG) ..."
  export DEBIAN_FRONTEND=noninteractive
  if ! { $SUDO apt-get update && \
         $SUDO apt-get install -y --no-install-recommends "${missing[@]}"; } > "$LOG" 2>&1; then
    echo "ERROR: apt-get failed; last lines of $LOG:" >&2
    tail -n 40 "$LOG" >&2
    exit 1
  fi
  echo "Debian packages installed."
else
  echo "Debian packages: all present."
fi

# Cargo and rustc: on PATH or in ~/.cargo/bin (where rustup puts them).
if [ -d "$HOME/.cargo/bin" ]; then PATH="$HOME/.cargo/bin:$PATH"; fi
if ! command -v cargo >/dev/null 2>&1 || ! command -v rustc >/dev/null 2>&1; then
  cat >&2 <<'MSG'
ERROR: cargo/rustc not found (looked on PATH and in ~/.cargo/bin).
SLAMglmm needs Rust >= 1.89; Debian 12's own 'cargo' package is too old. Install it with rustup:
    apt-get install -y --no-install-recommends curl ca-certificates build-essential
    curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs | sh -s -- -y --profile minimal
    . "$HOME/.cargo/env"
and run this command again.
MSG
  exit 1
fi
echo "Rust: $(rustc --version), $(cargo --version)"
