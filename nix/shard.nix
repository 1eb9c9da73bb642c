# One shard: one test export of one variant, run by wasmtime on the precompiled module. A raw
# derivation whose only inputs are the module, wasmtime (and coreutils), the runner and the seed.
{
  system,
  toolchain,
  variants,
  rtsPackages,
}: {
  variant,
  module,
  seed,
  # Another export than test_<module>, e.g. the probe_* exports that are not tests.
  export ? "test_${module}",
  maxMemory ? 4294967296,
  timeoutSeconds ? 900,
  # How a user reruns this shard; the default checks pass `nix build .#checks.<name>`.
  reproduce ? "nix build -L --impure --expr '(builtins.getFlake (toString ./.)).lib.${system}.shard { variant = \"${variant}\"; module = \"${module}\"; export = \"${export}\"; seed = ${toString seed}; maxMemory = ${toString maxMemory}; }'",
}: let
  shard = "${variant}-${module}";
in
  builtins.derivation {
    name = "shard-${shard}";
    inherit
      system
      shard
      variant
      module
      seed
      export
      maxMemory
      timeoutSeconds
      reproduce
      ;
    builder = toolchain.bash;
    args = [./builder.sh ./run-shard.sh];
    PATH = toolchain.shardPath;
    cwasm = "${rtsPackages."rts-${variant}"}/rts_testsuite.cwasm";
    wasmtimeFlags = builtins.concatStringsSep " " variants.${variant}.wasmtime_flags;
  }
