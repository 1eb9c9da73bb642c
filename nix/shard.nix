# One shard: one test export of one variant (of either suite), run by wasmtime on the
# precompiled module. A raw
# derivation whose only inputs are the module, wasmtime (and coreutils), the runner and the seed.
# How to rerun it is printed by the runner from these inputs, so no message text is an input.
{
  system,
  toolchain,
  # Every variant of every suite (its wasmtime_flags), the precompiled module it runs, and
  # the name of its suite.
  variants,
  modules,
  suiteOf,
}: {
  variant,
  module,
  seed,
  # Another export than test_<module>, e.g. the probe_* exports that are not tests.
  export ? "test_${module}",
  # Depth: above 1 the test runs with scale times its random work (nix/run-shard.sh). At 1 the
  # derivation has no `scale` attribute, so the default checks stay as they are.
  scale ? 1,
  # Caps; null leaves them to nix/run-shard.sh, the one place their defaults are written.
  maxMemory ? null,
  timeoutSeconds ? null,
}: let
  shard = "${variant}-${module}";
  orEmpty = v:
    if v == null
    then ""
    else toString v;
  # Above depth 1: a name suffix and the `scale` attribute; at 1 neither.
  depth =
    if scale == 1
    then {
      suffix = "";
      attrs = {};
    }
    else {
      suffix = "-x${toString scale}";
      attrs = {scale = toString scale;};
    };
in
  builtins.derivation ({
      name = "shard-${shard}${depth.suffix}";
      inherit
        system
        shard
        variant
        module
        seed
        export
        ;
      maxMemory = orEmpty maxMemory;
      timeoutSeconds = orEmpty timeoutSeconds;
      builder = toolchain.bash;
      args = [./builder.sh ./run-shard.sh];
      PATH = toolchain.shardPath;
      cwasm = modules.${variant};
      suite = suiteOf.${variant};
      wasmtimeFlags = builtins.concatStringsSep " " variants.${variant}.wasmtime_flags;
    }
    // depth.attrs)
