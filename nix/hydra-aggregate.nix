# A Hydra aggregate job: succeeds when all its constituents (every shard) built, and lets Hydra
# show them as one job (the same protocol as nixpkgs' releaseTools.aggregate).
{
  system,
  toolchain,
}: name: constituents:
builtins.derivation {
  inherit name system constituents;
  builder = toolchain.bash;
  PATH = toolchain.shardPath;
  _hydraAggregate = true;
  preferLocalBuild = true;
  args = [
    ./builder.sh
    "-c"
    ''
      set -euo pipefail
      mkdir -p "$out/nix-support"
      touch "$out/nix-support/hydra-build-products"
      echo $constituents >"$out/nix-support/hydra-aggregate-constituents"
    ''
  ];
}
