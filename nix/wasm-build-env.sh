# Sourced by nix/build-variant.sh and nix/build-sysroot.sh: the environment of a cargo build for
# a wasm target, the same for both, so the standard library and the crates of rts/ are built by
# one recipe.
#
# wasm_build_env SCRATCH NAME   (NAME prefixes messages)
# Reads: RUST_LIB_SRC (default: the library sources in the sysroot of the rustc on PATH),
#   VENDOR_DIRS (optional: cargo vendor directories holding every crates.io package the build
#   needs; the build is then offline), CARGO_OFFLINE_SH (path of nix/cargo-offline.sh when the
#   scripts were copied away from it; else $here, the sourcing script's folder),
#   CARGO_TARGET_DIR (default SCRATCH/target).
# Needs cargo, rustc and wasm-ld on PATH.
wasm_build_env() {
  local scratch=$1 name=$2
  if [ -z "${RUST_LIB_SRC-}" ]; then
    RUST_LIB_SRC=$(rustc --print sysroot)/lib/rustlib/src/rust/library
  fi
  command -v wasm-ld >/dev/null || {
    echo "$name: wasm-ld not on PATH (Debian: PATH=/usr/lib/llvm-22/bin:/usr/bin:\$PATH)" >&2
    return 2
  }
  [ -f "$RUST_LIB_SRC/Cargo.lock" ] || {
    echo "$name: no Rust library sources at $RUST_LIB_SRC: set RUST_LIB_SRC, or put a" \
      "toolchain with them first on PATH (Debian: PATH=/usr/lib/llvm-22/bin:/usr/bin:\$PATH)" >&2
    return 2
  }
  # In a Nix build HOME is /homeless-shelter; cargo needs a writable CARGO_HOME.
  if [ ! -w "${HOME:-/homeless-shelter}" ]; then
    export HOME=$scratch/home
    mkdir -p "$HOME"
  fi
  export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$scratch/target}
  export RUSTC_BOOTSTRAP=1 # -Zbuild-std and #![feature] on a stable toolchain
  # cargo looks for the library sources in rustc's sysroot unless told otherwise.
  export __CARGO_TESTS_ONLY_SRC_ROOT=$RUST_LIB_SRC
  # rustc's default wasm linker is `rust-lld` (`lld` in nixpkgs); wasm-ld is that lld's own name.
  export CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_LINKER=wasm-ld
  export CARGO_TARGET_WASM64_UNKNOWN_UNKNOWN_LINKER=wasm-ld
  export CARGO_TARGET_WASM32_WASIP1_LINKER=wasm-ld
  if [ -n "${VENDOR_DIRS-}" ]; then
    # shellcheck source=nix/cargo-offline.sh
    source "${CARGO_OFFLINE_SH:-$here/cargo-offline.sh}"
    # shellcheck disable=SC2086 # a word list
    cargo_offline "$scratch" $VENDOR_DIRS
  fi
  # Source paths end up in panic messages; map them to fixed names so that the wasm does not
  # depend on where the sources were (a store path changes with any change to them).
  export RUSTFLAGS="${RUSTFLAGS-} --remap-path-prefix=$RUST_LIB_SRC=/rust/library --remap-path-prefix=$scratch=/build"
}
