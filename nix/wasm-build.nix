# A cargo build for a wasm target as a derivation: the attributes that nix/wasm-build-env.sh
# reads, the same for the standard library (./sysroot.nix) and the variants (./variant.nix).
# `script` is the builder script; `env` the build's own attributes (name, TARGET, VENDOR_DIRS...).
{
  system,
  toolchain,
  rustSrc,
}: script: env:
builtins.derivation ({
    inherit system;
    builder = toolchain.bash;
    args = [./builder.sh script];
    PATH = toolchain.buildPath;
    RUST_LIB_SRC = "${rustSrc}/library";
    CARGO_OFFLINE_SH = ./cargo-offline.sh;
    WASM_BUILD_ENV_SH = ./wasm-build-env.sh;
  }
  // env)
