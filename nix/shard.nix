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
  maxMemory ? 4294967296,
  timeoutSeconds ? 900,
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
      maxMemory
      timeoutSeconds
      ;
    builder = toolchain.bash;
    args = [./run-shard.sh];
    PATH = toolchain.shardPath;
    export = "test_${module}";
    cwasm = "${rtsPackages."rts-${variant}"}/rts_testsuite.cwasm";
    wasmtimeFlags = builtins.concatStringsSep " " variants.${variant}.wasmtime_flags;
  }
