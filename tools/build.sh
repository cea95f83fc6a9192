#!/usr/bin/env bash
# Build the release tarball SLAMglmm_<version>.tar.gz with vendored Rust crates, so that it
# installs with no network:  vendor -> inst/AUTHORS -> R CMD build . -> remove the vendored files.
# Usage: bash tools/build.sh [extra R CMD build options]
set -euo pipefail
cd "$(dirname "$0")/.."
[ -d "$HOME/.cargo/bin" ] && PATH="$HOME/.cargo/bin:$PATH"

cleanup_vendor() { rm -rf src/rust/vendor src/rust/vendor.tar.xz src/rust/vendor-config.toml; }
trap cleanup_vendor EXIT

bash tools/vendor.sh
bash tools/authors.sh

# The install that R CMD build does to build the vignettes is thrown away: skip LTO there
# unless the caller asks for it.  (The tarball itself contains no build products.)
export CARGO_PROFILE_RELEASE_LTO="${CARGO_PROFILE_RELEASE_LTO:-false}"
R CMD build "$@" .

VERSION=$(sed -n 's/^Version:[[:space:]]*//p' DESCRIPTION)
TARBALL="SLAMglmm_${VERSION}.tar.gz"
if ! tar -tzf "$TARBALL" | grep '^SLAMglmm/src/rust/vendor.tar.xz$' > /dev/null; then
  echo "ERROR: $TARBALL does not contain src/rust/vendor.tar.xz" >&2
  exit 1
fi
echo "built $TARBALL ($(du -h "$TARBALL" | cut -f1))"
