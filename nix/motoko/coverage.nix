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
  VARIANTS = builtins.concatStringsSep " " (builtins.attrValues (builtins.mapAttrs (name: v: "${name}:${
      if builtins.elem "enhanced_orthogonal_persistence" v.features
      then "enhanced"
      else "classical"
    }")
    variants));
  LOGS = builtins.concatStringsSep " " (map (s: "${s.variant}=${shards.${s.name}}") matrix.shards);
}
