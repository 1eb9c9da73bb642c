# Shared by tools/suite.sh and tools/test.sh: the repository root, the tool paths, the choice of
# nixpkgs (the locked one, or the strict stand-in) and the Nix flags that go with it.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
WASMTIME_PREFIX=${WASMTIME_PREFIX:-/opt/rts-shards/wasmtime}
export PATH="$WASMTIME_PREFIX/bin:$PATH"
# shellcheck source=tools/nix-flags.sh
source "$ROOT/tools/nix-flags.sh"

step() { printf '\n=== %s\n' "$*" >&2; }
# The rts-shards CLI of this checkout (cargo builds it on first use).
rts_shards() { cargo run --quiet --locked --manifest-path "$ROOT/tools/Cargo.toml" -- "$@"; }
# README's block depth-plan: the planner at the depth that makes the suite as long as a
# two-hour one-process suite, from the timings at depth 1 and at a deeper one. Check it with
# `depth_plan_block | rts_shards readme depth-plan README.md --check` (or --update).
DEPTH_PLAN=(plan --timings tools/timings.json --deeper tools/timings-deep.json
  --sequential-seconds 7200 --workers 2,8,32)
depth_plan_block() {
  printf '`rts-shards %s`:\n\n```text\n' "${DEPTH_PLAN[*]}"
  (cd "$ROOT" && rts_shards "${DEPTH_PLAN[@]}")
  printf '```\n'
}

# Picks the nixpkgs, installs the stand-in's tools when it is the one, and sets NIX_FLAGS.
prepare_nix() {
  rts_nix_mode
  if [ "$NIX_MODE" = host ]; then
    step "nixpkgs: the strict stand-in nix/hostpkgs ($NIX_MODE_WHY); set-up"
    bash "$ROOT/tools/setup.sh"
  else
    step "nixpkgs: the locked nixpkgs ($NIX_MODE_WHY); nothing to install"
  fi
  rts_nix_flags
}
