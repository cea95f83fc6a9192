#!/usr/bin/env bash
# Vendor the Rust crates for an offline (CRAN-style) build:
#   cargo vendor -> src/rust/vendor/  ->  src/rust/vendor.tar.xz
# src/Makevars unpacks vendor.tar.xz when it exists and writes the cargo config
#   [source.crates-io] replace-with = "vendored-sources"
#   [source.vendored-sources] directory = "<src>/rust/vendor"
# into a private CARGO_HOME (src/.cargo), then builds with --offline --locked.
# The config is written at build time because the directory must be an absolute path of the
# unpacked tarball; a copy is left in src/rust/vendor-config.toml only with --keep.
#
# Usage: bash tools/vendor.sh [--keep]   (--keep: also keep the unpacked src/rust/vendor/)
# tools/build.sh runs this, builds the tarball, and removes the vendored files again.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -d "$HOME/.cargo/bin" ] && PATH="$HOME/.cargo/bin:$PATH"

KEEP=0
[ "${1:-}" = "--keep" ] && KEEP=1
CRATE=src/rust

rm -rf "$CRATE/vendor" "$CRATE/vendor.tar.xz" "$CRATE/vendor-config.toml"
LOCK_BEFORE=$(cksum < "$CRATE/Cargo.lock" 2>/dev/null || true)
echo "vendoring the crates of $CRATE/Cargo.lock ..."
cargo vendor --quiet --manifest-path "$CRATE/Cargo.toml" "$CRATE/vendor" > /dev/null
LOCK_AFTER=$(cksum < "$CRATE/Cargo.lock" 2>/dev/null || true)
if [ "$LOCK_BEFORE" != "$LOCK_AFTER" ]; then
  echo "NOTE: cargo updated src/rust/Cargo.lock (it was out of date with Cargo.toml); commit it." >&2
fi

# Reproducible archive: sorted names, fixed owner and time.
TAR_OPTS=""
if tar --version 2>/dev/null | grep -q 'GNU tar'; then
  TAR_OPTS="--sort=name --owner=0 --group=0 --numeric-owner --mtime=2020-01-01"
fi
(cd "$CRATE" && tar $TAR_OPTS -cf - vendor | xz -T2 -6 > vendor.tar.xz)

N=$(find "$CRATE/vendor" -mindepth 1 -maxdepth 1 -type d | wc -l)
SIZE=$(du -h "$CRATE/vendor.tar.xz" | cut -f1)
echo "vendored $N crates into $CRATE/vendor.tar.xz ($SIZE)"

if [ "$KEEP" = 1 ]; then
  cat > "$CRATE/vendor-config.toml" <<CFG
[source.crates-io]
replace-with = "vendored-sources"

[source.vendored-sources]
directory = "vendor"
CFG
  echo "kept $CRATE/vendor/ and $CRATE/vendor-config.toml"
else
  rm -rf "$CRATE/vendor"
fi
