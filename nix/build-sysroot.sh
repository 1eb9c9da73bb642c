# Builds the standard library (core, alloc, compiler_builtins) for one wasm target with the
# test-wasm profile, into a sysroot: OUT/lib/rustlib/TARGET/lib/*.rlib. The variant builds use it
# with --sysroot instead of -Zbuild-std, so a change in rts/ recompiles only the crates of rts/.
#
# Usage: build-sysroot.sh [OUT]   (default: $out, as in a Nix build)
# Environment: TARGET (wasm32-unknown-unknown or wasm64-unknown-unknown), PROFILE_CONFIG (the
#   cargo --config file with [profile.test-wasm], rts/test-wasm.toml), and what
#   nix/wasm-build-env.sh reads.
set -euo pipefail

out=${1:-${out:?usage: build-sysroot.sh OUT (or $out set, as in a Nix build)}}
: "${TARGET:?}" "${PROFILE_CONFIG:?}"
# Where this script is, before any cd (its siblings are found there outside Nix).
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
# shellcheck source=nix/wasm-build-env.sh
source "${WASM_BUILD_ENV_SH:-$here/wasm-build-env.sh}"
wasm_build_env "$scratch" build-sysroot

# An empty no_std crate: building it with -Zbuild-std builds exactly the standard library.
mkdir -p "$scratch/empty/src"
printf '#![no_std]\n' >"$scratch/empty/src/lib.rs"
cat >"$scratch/empty/Cargo.toml" <<'TOML'
[package]
name = "sysroot-empty"
version = "0.0.0"
edition = "2021"

[workspace]
TOML
echo "build-sysroot: core, alloc for $TARGET, $(rustc --version)" >&2
cargo build --manifest-path "$scratch/empty/Cargo.toml" --config "$PROFILE_CONFIG" \
  --profile test-wasm --target "$TARGET" -Zbuild-std=core,alloc

lib=$out/lib/rustlib/$TARGET/lib
mkdir -p "$lib"
for rlib in "$CARGO_TARGET_DIR/$TARGET/test-wasm/deps/"*.rlib; do
  case $(basename "$rlib") in
    libsysroot_empty-*) ;;
    *) cp "$rlib" "$lib/" ;;
  esac
done
echo "build-sysroot: $(ls "$lib" | wc -l) libraries in $lib" >&2
