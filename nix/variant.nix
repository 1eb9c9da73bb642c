# One variant of the RTS test wasm: `rts_testsuite.wasm` and its precompiled `.cwasm`.
# Depends on rts/ and nix/build-variant.sh only, so other changes rebuild nothing.
{
  system,
  toolchain,
  rtsSrc,
  rustSrc,
  rtsVendor,
  name,
  variant,
}:
builtins.derivation {
  name = "rts-${name}";
  inherit system;
  builder = toolchain.bash;
  args = [./build-variant.sh];
  PATH = toolchain.buildPath;
  RTS_SRC = rtsSrc;
  VARIANT = name;
  TARGET = variant.target;
  FEATURES = builtins.concatStringsSep " " variant.features;
  WASMTIME_FLAGS = builtins.concatStringsSep " " variant.wasmtime_flags;
  RUST_LIB_SRC = "${rustSrc}/library";
  CARGO_OFFLINE_SH = ./cargo-offline.sh;
  VENDOR_DIRS = "${rustSrc}/vendor ${rtsVendor}";
}
