# Gathers the result.json of every shard into one JUnit file and one JSON summary
# (`rts-shards report --no-times`), as Hydra build products. Verdicts only: a shard's output holds
# no times (it is a function of its inputs), and a derivation cannot read build logs. The time of
# each shard is in Hydra's own records of its build step (start, stop, and the step's log with
# the `rts-shard-timing` line of nix/run-shard.sh); `rts-shards report` over the shard outputs on
# a machine that built them reads those lines and draws the Gantt chart.
{
  system,
  toolchain,
  rtsShards,
}: shards:
builtins.derivation {
  name = "shard-report";
  inherit system;
  builder = toolchain.bash;
  PATH = toolchain.shardPath;
  names = builtins.attrNames shards;
  shardOutputs = builtins.attrValues shards;
  args = [
    ./builder.sh
    "-c"
    ''
      set -euo pipefail
      set -- $shardOutputs
      mkdir -p "$TMPDIR/results" "$out/nix-support"
      for name in $names; do
        ln -s "$1" "$TMPDIR/results/$name"
        shift
      done
      ${rtsShards}/bin/rts-shards report "$TMPDIR/results" --no-times \
        --junit "$out/junit.xml" --json "$out/summary.json"
      # Hydra's product subtype is a word ([A-Za-z0-9_-]): report junit, report summary.
      for f in junit.xml summary.json; do
        echo "report ''${f%%.*} $out/$f" >>"$out/nix-support/hydra-build-products"
      done
    ''
  ];
}
