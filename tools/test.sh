#!/usr/bin/env bash
# The project's tests, as CI runs them: set-up, the CLI's and the runtime's own tests, the three
# variant builds, the freshness of the committed shard matrix, and every shard through Nix.
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
cd "$ROOT"

step "set-up"
bash tools/setup.sh

step "tools: fmt, clippy, tests"
(cd tools && cargo fmt --check && cargo clippy --all-targets --locked -- -D warnings && RTS_SHARDS_REQUIRE_WASMTIME=1 cargo test --locked)

step "rts: fmt, clippy, native tests (stop-the-world and incremental collectors)"
(
  cd rts
  cargo fmt --check
  cargo clippy --all-targets --locked -- -D warnings
  cargo clippy --all-targets --locked -p rts-testsuite --features incremental -- -D warnings
  cargo test --locked
  cargo test --locked -p rts-testsuite --features incremental
)

step "variants: build once each through Nix"
built=$(mktemp -d)
trap 'rm -rf "$built"' EXIT
system=$(nix eval --raw --impure --expr builtins.currentSystem)
variants=$(nix eval --raw --impure --expr \
  'builtins.concatStringsSep " " (builtins.attrNames (builtins.fromJSON (builtins.readFile ./nix/variants.json)))')
for variant in $variants; do
  nix build "${NIX_FLAGS[@]}" ".#packages.$system.rts-$variant" --out-link "$built/$variant"
done

step "shard matrix is fresh"
cargo run --quiet --locked --manifest-path tools/Cargo.toml -- matrix --check --built "$built"

step "every shard (nix flake check)"
nix flake check "${NIX_FLAGS[@]}" --max-jobs "${MAX_JOBS:-$(nproc)}" --keep-going
