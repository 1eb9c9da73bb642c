# The standard library (core, alloc, compiler_builtins) for one wasm target, built once with the
# test-wasm profile and shared by every variant of that target (ni and inc share wasm32). Its
# inputs are the Rust sources, the toolchain and the profile file only, so no change in rts/
# rebuilds it.
{
  toolchain,
  rustSrc,
  wasmBuild,
}: target:
wasmBuild ./build-sysroot.sh {
  name = "rust-sysroot-${toolchain.rustcVersion}-${target}";
  TARGET = target;
  PROFILE_CONFIG = builtins.path {
    name = "test-wasm.toml";
    path = ../rts/test-wasm.toml;
  };
  VENDOR_DIRS = "${rustSrc}/vendor";
}
