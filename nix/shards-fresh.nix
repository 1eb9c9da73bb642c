# Fails, printing the difference, when the committed shard matrix no longer matches the test
# exports of the built variants (a test module added or removed without `rts-shards matrix`).
{
  system,
  toolchain,
  rtsShards,
  rtsPackages,
  variantNames,
}:
builtins.derivation {
  name = "shards-fresh";
  inherit system;
  builder = toolchain.bash;
  PATH = toolchain.shardPath;
  variants = ./variants.json;
  matrix = ./shards.json;
  wasm = map (v: "${v}=${rtsPackages."rts-${v}"}/rts_testsuite.wasm") variantNames;
  args = [
    ./builder.sh
    "-c"
    ''
      set -euo pipefail
      args=()
      for w in $wasm; do args+=(--wasm "$w"); done
      ${rtsShards}/bin/rts-shards matrix --check --variants "$variants" --out "$matrix" "''${args[@]}"
      echo "nix/shards.json matches the exports of every variant" >"$out"
    ''
  ];
}
