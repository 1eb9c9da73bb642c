# A split never drops a test: the shards of each Motoko variant together run every unit of work
# the unmodified main() runs, each exactly once (./coverage.sh says how this is read).
{
  system,
  toolchain,
  motoko,
  variants,
  matrix,
  shards,
}:
builtins.derivation {
  name = "motoko-split-coverage";
  inherit system;
  builder = toolchain.bash;
  PATH = toolchain.shardPath;
  args = [../builder.sh ./coverage.sh];
  SRC = "${motoko}/rts/motoko-rts-tests/src";
  # <variant>:<persistence>:<GC kind>; the test crate's feature enhanced_orthogonal_persistence
  # turns on incremental_gc (motoko-rts-tests/Cargo.toml).
  VARIANTS = builtins.concatStringsSep " " (builtins.attrValues (builtins.mapAttrs (name: v: let
      enhanced = builtins.elem "enhanced_orthogonal_persistence" v.features;
    in "${name}:${
      if enhanced
      then "enhanced"
      else "classical"
    }:${
      if enhanced || builtins.elem "incremental_gc" v.features
      then "incremental_gc"
      else "non_incremental_gc"
    }")
    variants));
  LOGS = builtins.concatStringsSep " " (map (s: "${s.variant}=${shards.${s.name}}") matrix.shards);
}
