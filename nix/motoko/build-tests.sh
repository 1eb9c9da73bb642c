# shellcheck shell=bash
# Builds one variant of Motoko's RTS tests (rts/motoko-rts-tests) for wasm, with this project's
# patches applied to Motoko's sources (the shard entry points of ./shards.patch, and for the
# default builds the speed-ups of ./speedups), and precompiles it.
#
# Usage: build-tests.sh [OUT]   (default: $out, as in a Nix build)
# Environment:
#   MOTOKO_RTS      Motoko's rts/ (read-only is fine)
#   PATCHES         the patches to apply, in order, space separated (paths relative to Motoko's
#                   root, as `git apply` in a Motoko checkout takes them)
#   TOMMATH         the output of ./build-tommath.sh for the variant's word size
#   VARIANT TARGET  the variant's name and target (wasm32-wasip1 or wasm64-unknown-unknown)
#   FEATURES        cargo features of motoko-rts-tests, space separated
#   WASMTIME_FLAGS  flags for `wasmtime compile`, space separated; `run` uses the same
#   WASI_LIBC       for wasm32-wasip1: the WASI libc (lib/libc.a, lib/crt1-command.o)
#   and what nix/wasm-build-env.sh reads (RUST_LIB_SRC, VENDOR_DIRS, ...).
# Builds as Motoko's rts/Makefile does (`cargo build`, the dev profile, -Zbuild-std with std;
# ./speedups/01-std-as-shipped.patch adds the profile of the standard library's crates); writes
# OUT/tests.wasm and OUT/tests.cwasm.
set -euo pipefail

out=${1:-${out:?usage: build-tests.sh OUT (or $out set, as in a Nix build)}}
: "${MOTOKO_RTS:?}" "${PATCHES:?}" "${TOMMATH:?}" "${VARIANT:?}" "${TARGET:?}"
FEATURES=${FEATURES-}
WASMTIME_FLAGS=${WASMTIME_FLAGS-}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
# shellcheck source=nix/wasm-build-env.sh
source "${WASM_BUILD_ENV_SH:-$here/../wasm-build-env.sh}"
wasm_build_env "$scratch" build-tests

src=$scratch/rts
cp -r "$MOTOKO_RTS" "$src"
chmod -R u+w "$src"
for p in $PATCHES; do
  patch -d "$scratch" -p1 --batch --forward --quiet <"$p"
done
cp -r "$TOMMATH/_build" "$src/_build"
chmod -R u+w "$src/_build"
export RUSTFLAGS="$RUSTFLAGS -C target-feature=+bulk-memory --remap-path-prefix=$src=/motoko/rts"
case $TARGET in
  wasm32-wasip1)
    : "${WASI_LIBC:?WASI_LIBC is needed for wasm32-wasip1}"
    # The standard library is built here (-Zbuild-std) and links against the WASI libc given.
    export RUSTFLAGS="$RUSTFLAGS -C link-self-contained=no -L native=$WASI_LIBC/lib -C link-arg=$WASI_LIBC/lib/crt1-command.o"
    ;;
  wasm64-unknown-unknown) ;;
  *)
    echo "build-tests: no recipe for target '$TARGET'" >&2
    exit 2
    ;;
esac

patch_names=$(for p in $PATCHES; do basename "$p"; done | tr '\n' ' ')
echo "build-tests: $VARIANT: $TARGET, features [$FEATURES], patches [${patch_names% }], $(rustc --version)" >&2
cd "$src/motoko-rts-tests"
cargo build --locked --target "$TARGET" -Zbuild-std=core,alloc,std,panic_abort \
  ${FEATURES:+--features "${FEATURES// /,}"}

mkdir -p "$out"
cp "$CARGO_TARGET_DIR/$TARGET/debug/motoko-rts-tests.wasm" "$out/tests.wasm.tmp"
mv "$out/tests.wasm.tmp" "$out/tests.wasm"
# shellcheck source=nix/precompile-flags.sh
source "${PRECOMPILE_FLAGS_SH:-$here/../precompile-flags.sh}"
# shellcheck disable=SC2086 # a word list
wasmtime compile -C cache=n $WASMTIME_FLAGS "${PRECOMPILE_FLAGS[@]}" "$out/tests.wasm" -o "$out/tests.cwasm.tmp"
mv "$out/tests.cwasm.tmp" "$out/tests.cwasm"
echo "build-tests: $VARIANT: $(wc -c <"$out/tests.wasm") bytes of wasm, precompiled" >&2
