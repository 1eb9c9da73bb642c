# Fails, printing the difference, when the committed shard matrix no longer matches the test
# exports of the built variants (a test module added or removed without `rts-shards matrix`).
{
  system,
  toolchain,
  rtsShards,
}: {
  # The check's name, the suite's variants and matrix files, and its built modules by variant.
  name,
  variantsFile,
  matrixFile,
  builds,
}:
builtins.derivation {
  inherit name system;
  builder = toolchain.bash;
  PATH = toolchain.shardPath;
  variants = variantsFile;
  matrix = matrixFile;
  # The suites file `rts-shards` reads (the build sees no repository).
  RTS_SHARDS_SUITES_FILE = ./suites.json;
  wasm = builtins.attrValues (builtins.mapAttrs (v: b: "${v}=${b.wasm}") builds);
  args = [
    ./builder.sh
    "-c"
    ''
      set -euo pipefail
      args=()
      for w in $wasm; do args+=(--wasm "$w"); done
      ${rtsShards}/bin/rts-shards matrix --check --variants "$variants" --out "$matrix" "''${args[@]}"
      echo "the shard matrix matches the exports of every variant" >"$out"
    ''
  ];
}
