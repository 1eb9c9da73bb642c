# Gathers the result.json of every shard into one JUnit file, one JSON summary and an SVG Gantt
# chart of the shards over time (`rts-shards report`), as Hydra build products.
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
      ${rtsShards}/bin/rts-shards report "$TMPDIR/results" \
        --junit "$out/junit.xml" --json "$out/summary.json" --svg "$out/gantt.svg"
      # Hydra's product subtype is a word ([A-Za-z0-9_-]): report junit, report summary, report gantt.
      for f in junit.xml summary.json gantt.svg; do
        echo "report ''${f%%.*} $out/$f" >>"$out/nix-support/hydra-build-products"
      done
    ''
  ];
}
