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
#   SYSROOT         optional: the standard library for TARGET, prebuilt by nix/build-sysroot.sh;
#                   without it the library is built here with -Zbuild-std
#   and what nix/wasm-build-env.sh reads (RUST_LIB_SRC, VENDOR_DIRS, CARGO_OFFLINE_SH,
#   CARGO_TARGET_DIR; WASM_BUILD_ENV_SH when this script was copied away from it).
# Needs cargo, rustc, wasm-ld and wasmtime on PATH.
# Writes OUT/rts_testsuite.wasm, OUT/rts_testsuite.cwasm and OUT/rts_testsuite.cwasm.wasm-sha256
# (the SHA-256 of the .wasm it was compiled from).
set -euo pipefail

out=${1:-${out:?usage: build-variant.sh OUT (or $out set, as in a Nix build)}}
: "${RTS_SRC:?}" "${VARIANT:?}" "${TARGET:?}"
FEATURES=${FEATURES-}
WASMTIME_FLAGS=${WASMTIME_FLAGS-}
# Where this script is, before any cd (its siblings are found there outside Nix).
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
# shellcheck source=nix/wasm-build-env.sh
source "${WASM_BUILD_ENV_SH:-$here/wasm-build-env.sh}"
wasm_build_env "$scratch" build-variant
export RUSTFLAGS="$RUSTFLAGS --remap-path-prefix=$RTS_SRC=/rts"
if [ -n "${SYSROOT-}" ]; then
  # The standard library prebuilt by nix/build-sysroot.sh; with --target, RUSTFLAGS reach only
  # the target's crates, so build scripts still use rustc's own sysroot.
  export RUSTFLAGS="$RUSTFLAGS --sysroot $SYSROOT"
  build_std=()
else
  build_std=(-Zbuild-std=core,alloc)
fi

echo "build-variant: $VARIANT: $TARGET, features [${FEATURES}], $(rustc --version)" >&2
cd "$RTS_SRC"
# shellcheck disable=SC2086 # FEATURES and WASMTIME_FLAGS are word lists
cargo build --locked --config "$RTS_SRC/test-wasm.toml" --profile test-wasm --target "$TARGET" \
  "${build_std[@]}" -p rts-testsuite ${FEATURES:+--features "$FEATURES"}

mkdir -p "$out"
cp "$CARGO_TARGET_DIR/$TARGET/test-wasm/rts_testsuite.wasm" "$out/rts_testsuite.wasm.tmp"
mv "$out/rts_testsuite.wasm.tmp" "$out/rts_testsuite.wasm"
# shellcheck source=nix/precompile-flags.sh
source "${PRECOMPILE_FLAGS_SH:-$here/precompile-flags.sh}"
# shellcheck disable=SC2086
wasmtime compile -C cache=n $WASMTIME_FLAGS "${PRECOMPILE_FLAGS[@]}" "$out/rts_testsuite.wasm" -o "$out/rts_testsuite.cwasm.tmp"
# What ties the .cwasm to its .wasm: rts-shards runs a .cwasm only beside the SHA-256 of its .wasm.
sha256sum <"$out/rts_testsuite.wasm" >"$out/rts_testsuite.cwasm.wasm-sha256.tmp"
mv "$out/rts_testsuite.cwasm.tmp" "$out/rts_testsuite.cwasm"
mv "$out/rts_testsuite.cwasm.wasm-sha256.tmp" "$out/rts_testsuite.cwasm.wasm-sha256"
echo "build-variant: $VARIANT: $(wc -c <"$out/rts_testsuite.wasm") bytes of wasm, precompiled" >&2
