#!/usr/bin/env bash
# Run every test of SLAMglmm (what .ci/run runs), on a fresh Debian 12 machine as root:
#   0. install the dependencies (tools/install-deps.sh; cargo must already be present)
#   a. cargo test --release on the Rust core (no R)
#   b. build the vendored release tarball (tools/build.sh) and R CMD check it; any ERROR or
#      WARNING in the check fails the run; the testthat output is printed
#   c. a closing line "N passed, M failed" summing cargo's and testthat's counts (a failed
#      cargo build, a failed tarball build, missing test output, or an R CMD check ERROR/WARNING
#      each count as one more failure); the exit status is non-zero on any failure.
# Environment: NOT_CRAN (default true: tests guarded by skip_on_cran() run too),
# CARGO_PROFILE_RELEASE_LTO (default false for the cargo tests; the checked install keeps LTO),
# SLAMGLMM_LOGDIR (default $TMPDIR/slamglmm-test), SLAMGLMM_CHECK_ARGS (extra R CMD check args).
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
T0=$(date +%s)
LOGDIR="${SLAMGLMM_LOGDIR:-${TMPDIR:-/tmp}/slamglmm-test}"
mkdir -p "$LOGDIR"

elapsed() { local s=$(( $(date +%s) - T0 )); printf '%dm%02ds' $((s / 60)) $((s % 60)); }
step() { echo; echo "==> $* [$(elapsed)]"; }
finish() {
  local p=$1 f=$2
  echo
  echo "total time $(elapsed); logs in $LOGDIR"
  echo "$p passed, $f failed"
  [ "$f" -eq 0 ]
  exit $?
}

step "dependencies"
if ! bash tools/install-deps.sh; then finish 0 1; fi
if [ -d "$HOME/.cargo/bin" ]; then export PATH="$HOME/.cargo/bin:$PATH"; fi

CARGO_PASS=0; CARGO_FAIL=0; TT_PASS=0; TT_FAIL=0; EXTRA_FAIL=0

# ---------------------------------------------------------------------------------------------
step "(a) cargo test --release (the Rust core, without R)"
CLOG="$LOGDIR/cargo-test.log"
CARGO_PROFILE_RELEASE_LTO="${CARGO_PROFILE_RELEASE_LTO:-false}" \
  cargo test --release --no-fail-fast --manifest-path src/rust/Cargo.toml > "$CLOG" 2>&1
CRC=$?
while read -r p f; do
  CARGO_PASS=$((CARGO_PASS + p)); CARGO_FAIL=$((CARGO_FAIL + f))
done < <(sed -n 's/^test result: [A-Za-z]*\. \([0-9][0-9]*\) passed; \([0-9][0-9]*\) failed.*/\1 \2/p' "$CLOG")
grep -E '^(     Running|   Doc-tests|test result:)' "$CLOG" | sed 's/^ *//'
if [ "$CRC" -ne 0 ]; then
  echo "cargo test exited with status $CRC; end of $CLOG:"
  grep -E '^test .* FAILED$' "$CLOG" || true
  tail -n 60 "$CLOG"
  if [ "$CARGO_FAIL" -eq 0 ]; then EXTRA_FAIL=$((EXTRA_FAIL + 1)); fi
fi
echo "cargo: $CARGO_PASS passed, $CARGO_FAIL failed"

# ---------------------------------------------------------------------------------------------
step "(b1) release tarball with vendored crates (tools/build.sh)"
VERSION=$(sed -n 's/^Version:[[:space:]]*//p' DESCRIPTION)
TARBALL="SLAMglmm_${VERSION}.tar.gz"
rm -rf "$TARBALL" SLAMglmm.Rcheck
BLOG="$LOGDIR/build.log"
if ! bash tools/build.sh > "$BLOG" 2>&1; then
  echo "tools/build.sh failed; end of $BLOG:"
  tail -n 80 "$BLOG"
  finish "$CARGO_PASS" $((CARGO_FAIL + EXTRA_FAIL + 1))
fi
tail -n 1 "$BLOG"

# ---------------------------------------------------------------------------------------------
step "(b2) R CMD check $TARBALL"
# Not --as-cran: on Debian it needs checkbashisms (devscripts) and qpdf and turns their absence into
# WARNINGs; the CRAN-like checks that need no extra tools are switched on one by one instead.
KLOG="$LOGDIR/check.log"
env NOT_CRAN="${NOT_CRAN:-true}" \
    _R_CHECK_FORCE_SUGGESTS_=false \
    _R_CHECK_CRAN_INCOMING_=false \
    _R_CHECK_CRAN_INCOMING_REMOTE_=false \
    _R_CHECK_TESTS_NLINES_=0 \
    _R_CHECK_CODE_USAGE_WITH_ONLY_BASE_ATTACHED_=true \
    _R_CHECK_DONTTEST_EXAMPLES_=true \
    _R_CHECK_LIMIT_CORES_=true \
    _R_CHECK_NATIVE_ROUTINE_REGISTRATION_=true \
    _R_CHECK_PACKAGES_USED_IN_TESTS_USE_SUBDIRS_=true \
    _R_CHECK_S3_REGISTRATION_=true \
    _R_CHECK_THINGS_IN_CHECK_DIR_=true \
    _R_CHECK_THINGS_IN_TEMP_DIR_=true \
    _R_CHECK_RD_VALIDATE_RD2HTML_=false \
    _R_CHECK_TIMINGS_=10 \
  R CMD check --no-manual ${SLAMGLMM_CHECK_ARGS:-} "$TARBALL" > "$KLOG" 2>&1
KRC=$?
CHECKLOG=SLAMglmm.Rcheck/00check.log
[ -f "$CHECKLOG" ] || CHECKLOG="$KLOG"
# The check's findings (everything that is not OK), then its status line.
awk '/^\* / { hdr = $0; show = 0
              if ($0 ~ /\.\.\. (\[[^]]*\] )?(NOTE|WARNING|ERROR)$/) { show = 1; print }
              next }
     /^ ?(NOTE|WARNING|ERROR)$/ { print hdr; print; show = 1; next }
     /^Status:/ { show = 0 }
     show { print }' "$CHECKLOG"
STATUS=$(grep -E '^Status:' "$CHECKLOG" | tail -n 1)
echo "R CMD check: ${STATUS:-no status line} (exit $KRC)"

OUTF=""
for f in SLAMglmm.Rcheck/tests/testthat.Rout.fail SLAMglmm.Rcheck/tests/testthat.Rout; do
  if [ -f "$f" ]; then OUTF="$f"; break; fi
done
if [ -n "$OUTF" ]; then
  step "testthat output ($OUTF)"
  cat "$OUTF"
  LINE=$(grep -Eo '\[ FAIL [0-9]+ \| WARN [0-9]+ \| SKIP [0-9]+ \| PASS [0-9]+ \]' "$OUTF" | tail -n 1)
  if [ -n "$LINE" ]; then
    TT_FAIL=$(echo "$LINE" | sed 's/.*FAIL \([0-9]*\).*/\1/')
    TT_PASS=$(echo "$LINE" | sed 's/.*PASS \([0-9]*\).*/\1/')
  else
    echo "no testthat summary line in $OUTF: counted as one failure"
    EXTRA_FAIL=$((EXTRA_FAIL + 1))
  fi
else
  echo "the tests did not run (no SLAMglmm.Rcheck/tests/testthat.Rout): counted as one failure"
  [ -f SLAMglmm.Rcheck/00install.out ] && tail -n 60 SLAMglmm.Rcheck/00install.out
  EXTRA_FAIL=$((EXTRA_FAIL + 1))
fi

if [ "$KRC" -ne 0 ] || echo "$STATUS" | grep -Eq 'ERROR|WARNING' || [ -z "$STATUS" ]; then
  if [ "$TT_FAIL" -eq 0 ]; then
    echo "R CMD check reported an ERROR or WARNING: counted as one failure"
    EXTRA_FAIL=$((EXTRA_FAIL + 1))
  fi
fi
echo "testthat: $TT_PASS passed, $TT_FAIL failed"

finish $((CARGO_PASS + TT_PASS)) $((CARGO_FAIL + TT_FAIL + EXTRA_FAIL))
