# The second suite: Motoko's RTS tests (github:dfinity/motoko, rts/motoko-rts-tests), built as
# Motoko's rts/Makefile builds them (libtommath and its bindings per word size, then one test
# binary per variant), with one exported test per shard added by ./shards.patch.
{
  system,
  toolchain,
  wasmBuild,
  rustSrc,
  vendor,
  motoko,
  libtommath,
  # ./variants.json, read through ../suites.json
  variants,
}: let
  rts = "${motoko}/rts";

  # libtommath for wasm32 and wasm64, with its Rust bindings; shared by the variants of a size.
  tommath = builtins.listToAttrs (map (wasm: {
    name = wasm;
    value = builtins.derivation {
      name = "libtommath-${wasm}";
      inherit system;
      builder = toolchain.bash;
      args = [../builder.sh ./build-tommath.sh];
      PATH = toolchain.tommathPath;
      MOTOKO_RTS = rts;
      TOMMATHSRC = libtommath;
      WASM = wasm;
      CLANG_LIB = toolchain.clangLib;
    };
  }) ["wasm32" "wasm64"]);

  # The crates.io packages of Motoko's test crate; the standard library's come with rustSrc.
  testsVendor = vendor "motoko-rts-tests" ["${rts}/motoko-rts-tests/Cargo.lock"];

  packages = builtins.mapAttrs (name: v:
    wasmBuild ./build-tests.sh {
      inherit name;
      PATH = toolchain.motokoBuildPath;
      MOTOKO_RTS = rts;
      SHARDS_PATCH = ./shards.patch;
      TOMMATH = tommath.${v.tommath};
      VARIANT = name;
      TARGET = v.target;
      FEATURES = builtins.concatStringsSep " " v.features;
      WASMTIME_FLAGS = builtins.concatStringsSep " " v.wasmtime_flags;
      WASI_LIBC =
        if v.target == "wasm32-wasip1"
        then toolchain.wasiLibc
        else "";
      PRECOMPILE_FLAGS_SH = ../precompile-flags.sh;
      VENDOR_DIRS = "${testsVendor} ${rustSrc}/vendor";
    })
  variants;
in {
  inherit variants packages tommath;
  # Each variant's module and its precompiled form (the one nix/shard.nix runs).
  builds =
    builtins.mapAttrs (_: p: {
      wasm = "${p}/tests.wasm";
      cwasm = "${p}/tests.cwasm";
    })
    packages;
}
