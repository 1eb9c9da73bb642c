# The standard library (core, alloc, compiler_builtins) for one wasm target, built once with the
# test-wasm profile and shared by every variant of that target (ni and inc share wasm32). Its
# inputs are the Rust sources, the toolchain and the profile file only, so no change in rts/
# rebuilds it.
{
  system,
  toolchain,
  rustSrc,
}: target:
builtins.derivation {
  name = "rust-sysroot-${toolchain.rustcVersion}-${target}";
  inherit system;
  builder = toolchain.bash;
  args = [./builder.sh ./build-sysroot.sh];
  PATH = toolchain.buildPath;
  TARGET = target;
  PROFILE_CONFIG = builtins.path {
    name = "test-wasm.toml";
    path = ../rts/test-wasm.toml;
  };
  RUST_LIB_SRC = "${rustSrc}/library";
  VENDOR_DIRS = "${rustSrc}/vendor";
  CARGO_OFFLINE_SH = ./cargo-offline.sh;
  WASM_BUILD_ENV_SH = ./wasm-build-env.sh;
}
