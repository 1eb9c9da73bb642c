# Builds one variant of the RTS test wasm and precompiles it. Shared by the Nix package
# `rts-<variant>` and by `rts-shards run`, so both produce the same module.
#
# Usage: build-variant.sh [OUT]   (default: $out, as in a Nix build)
# Environment:
#   RTS_SRC         the rts/ workspace (read-only is fine)
#   VARIANT         variant name, for messages
#   TARGET          wasm32-unknown-unknown or wasm64-unknown-unknown
#   FEATURES        cargo features of rts-testsuite, space separated (may be empty)
#   WASMTIME_FLAGS  flags for `wasmtime compile`, space separated; `run` must use the same
#   RUST_LIB_SRC    the Rust standard library sources (`library/`) for -Zbuild-std
#                   (default: those in the sysroot of the rustc on PATH)
#   VENDOR_DIRS     optional: cargo vendor directories, space separated, holding every crates.io
#                   package of the library's and rts/'s Cargo.lock; the build is then offline
#   CARGO_OFFLINE_SH  path of nix/cargo-offline.sh when this script was copied away from it
#   CARGO_TARGET_DIR  optional; a temporary directory otherwise
# Needs cargo, rustc, wasm-ld and wasmtime on PATH.
# Writes OUT/rts_testsuite.wasm and OUT/rts_testsuite.cwasm.
set -euo pipefail

out=${1:-${out:?usage: build-variant.sh OUT (or $out set, as in a Nix build)}}
: "${RTS_SRC:?}" "${VARIANT:?}" "${TARGET:?}"
if [ -z "${RUST_LIB_SRC-}" ]; then
  RUST_LIB_SRC=$(rustc --print sysroot)/lib/rustlib/src/rust/library
fi
command -v wasm-ld >/dev/null || {
  echo "build-variant: wasm-ld not on PATH (Debian: PATH=/usr/lib/llvm-22/bin:/usr/bin:\$PATH)" >&2
  exit 2
}
FEATURES=${FEATURES-}
WASMTIME_FLAGS=${WASMTIME_FLAGS-}

[ -f "$RUST_LIB_SRC/Cargo.lock" ] || {
  echo "build-variant: no Rust library sources at $RUST_LIB_SRC: set RUST_LIB_SRC, or put a" \
    "toolchain with them first on PATH (Debian: PATH=/usr/lib/llvm-22/bin:/usr/bin:\$PATH)" >&2
  exit 2
}

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
# In a Nix build HOME is /homeless-shelter; cargo needs a writable CARGO_HOME.
if [ ! -w "${HOME:-/homeless-shelter}" ]; then
  export HOME=$scratch/home
  mkdir -p "$HOME"
fi
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$scratch/target}
export RUSTC_BOOTSTRAP=1 # -Zbuild-std on a stable toolchain
# cargo looks for the library sources in rustc's sysroot unless told otherwise.
export __CARGO_TESTS_ONLY_SRC_ROOT=$RUST_LIB_SRC
# rustc's default wasm linker is `rust-lld`; `wasm-ld` is the same lld under the name lld ships.
export CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_LINKER=wasm-ld
export CARGO_TARGET_WASM64_UNKNOWN_UNKNOWN_LINKER=wasm-ld

if [ -n "${VENDOR_DIRS-}" ]; then
  # shellcheck source=nix/cargo-offline.sh
  source "${CARGO_OFFLINE_SH:-$(dirname "${BASH_SOURCE[0]}")/cargo-offline.sh}"
  # shellcheck disable=SC2086 # a word list
  cargo_offline "$scratch" $VENDOR_DIRS
fi

# Source paths end up in panic messages; map them to fixed names so that the wasm does not depend
# on where the sources were (a store path changes with any change to rts/, even a comment).
export RUSTFLAGS="${RUSTFLAGS-} --remap-path-prefix=$RTS_SRC=/rts --remap-path-prefix=$RUST_LIB_SRC=/rust/library --remap-path-prefix=$scratch=/build"

echo "build-variant: $VARIANT: $TARGET, features [${FEATURES}], $(rustc --version)" >&2
cd "$RTS_SRC"
# shellcheck disable=SC2086 # FEATURES and WASMTIME_FLAGS are word lists
cargo build --locked --profile test-wasm --target "$TARGET" -Zbuild-std=core,alloc \
  -p rts-testsuite ${FEATURES:+--features "$FEATURES"}

mkdir -p "$out"
cp "$CARGO_TARGET_DIR/$TARGET/test-wasm/rts_testsuite.wasm" "$out/rts_testsuite.wasm.tmp"
mv "$out/rts_testsuite.wasm.tmp" "$out/rts_testsuite.wasm"
# shellcheck disable=SC2086
wasmtime compile -C cache=n $WASMTIME_FLAGS "$out/rts_testsuite.wasm" -o "$out/rts_testsuite.cwasm.tmp"
mv "$out/rts_testsuite.cwasm.tmp" "$out/rts_testsuite.cwasm"
echo "build-variant: $VARIANT: $(wc -c <"$out/rts_testsuite.wasm") bytes of wasm, precompiled" >&2
