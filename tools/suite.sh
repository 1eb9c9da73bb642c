#!/usr/bin/env bash
# Runs the whole sharded RTS suite through Nix: installs what is missing, builds the three
# variants once, then every shard as its own check, in parallel up to --max-jobs.
# Extra arguments go to `nix flake check` (e.g. --max-jobs 8, --keep-going).
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
cd "$ROOT"
step "set-up"
bash tools/setup.sh
step "nix flake check (every shard)"
nix flake check "${NIX_FLAGS[@]}" --max-jobs "${MAX_JOBS:-$(nproc)}" "$@"
