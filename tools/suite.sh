#!/usr/bin/env bash
# Runs the whole sharded RTS suite through Nix: with the locked nixpkgs where it can be fetched
# (installing nothing), else through the strict stand-in (installing its tools first); builds
# the three variants once, then every shard as its own check, in parallel up to --max-jobs.
# Extra arguments go to `nix flake check` (e.g. --max-jobs 8, --keep-going).
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
cd "$ROOT"
prepare_nix
step "nix flake check (every shard)"
nix flake check "${NIX_FLAGS[@]}" --max-jobs "${MAX_JOBS:-$(nproc)}" "$@"
