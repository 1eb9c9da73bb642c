# shellcheck shell=bash
# The builder of a Hydra aggregate job (nix/hydra-aggregate.nix): succeeds when every
# constituent (a shard output) holds the complete result.json of a pass, as nix/run-shard.sh
# writes it (one line, one JSON object); an empty, cut or failed one fails the job.
# Environment: constituents (the store paths, space separated), out.
set -euo pipefail
for c in $constituents; do
  r=$c/result.json
  if ! [ "$(wc -l <"$r")" = 1 ] ||
    ! grep -qE '^\{"name": ".*, "status": "pass", "exit_code": 0, "wasmtime_version": ".*"\}$' "$r"; then
    echo "hydra-aggregate: $r is missing, empty, malformed or not a pass" >&2
    exit 1
  fi
done
mkdir -p "$out/nix-support"
touch "$out/nix-support/hydra-build-products"
echo "$constituents" >"$out/nix-support/hydra-aggregate-constituents"
