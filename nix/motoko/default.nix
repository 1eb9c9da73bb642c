# The second suite: Motoko's RTS tests (github:dfinity/motoko, rts/motoko-rts-tests), built as
# Motoko's rts/Makefile builds them (libtommath and its bindings per word size, then one test
# binary per variant), with one exported test per shard added by ./shards.patch. The default
# builds also apply ./speedups (the standard library as a toolchain ships it, and test
# infrastructure that did needless work; the code under test and its profile unchanged); the
# `-upstream` builds apply ./shards.patch only, built exactly as upstream builds its tests.
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

  # ./speedups/*.patch in name order, each one idea that Motoko could apply as it is.
  speedups =
    map (n: ./speedups + "/${n}") (builtins.filter (n: builtins.match ".*[.]patch" n != null)
      (builtins.attrNames (builtins.readDir ./speedups)));

  # The test binaries of every variant with these patches; `suffix` is added to their names.
  mkPackages = suffix: patches:
    builtins.listToAttrs (map (name: let
      v = variants.${name};
    in {
      name = "${name}${suffix}";
      value = wasmBuild ./build-tests.sh {
        name = "${name}${suffix}";
        PATH = toolchain.motokoBuildPath;
        MOTOKO_RTS = rts;
        PATCHES = builtins.concatStringsSep " " (map (p: "${p}") patches);
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
      };
    }) (builtins.attrNames variants));

  # Each variant's module and its precompiled form (the one nix/shard.nix runs).
  buildsOf = builtins.mapAttrs (_: p: {
    wasm = "${p}/tests.wasm";
    cwasm = "${p}/tests.cwasm";
  });

  packages = mkPackages "" ([./shards.patch] ++ speedups);
  upstreamPackages = mkPackages "-upstream" [./shards.patch];
in {
  inherit variants packages tommath speedups;
  builds = buildsOf packages;
  # As upstream builds its tests (the whole dev profile, no speed-ups): variants named
  # <variant>-upstream, with the same flags and matrix, for the nightly jobs and the bench.
  upstream = {
    variants = builtins.listToAttrs (map (name: {
      name = "${name}-upstream";
      value = variants.${name};
    }) (builtins.attrNames variants));
    packages = upstreamPackages;
    builds = buildsOf upstreamPackages;
  };
}
