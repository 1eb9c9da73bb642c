# A Hydra aggregate job: succeeds when all its constituents (every shard) built and each holds
# the complete result.json of a pass (./hydra-aggregate.sh), and lets Hydra show them as one job
# (the same protocol as nixpkgs' releaseTools.aggregate).
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
  args = [./builder.sh ./hydra-aggregate.sh];
}
