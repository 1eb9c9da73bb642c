#!/usr/bin/env bash
# The project's tests, as CI runs them: the choice of nixpkgs and the set-up, the CLI's and the
# runtime's own tests natively (the fast loop), the lint of the CI configuration, then every flake
# check: the standard library and the three variant builds, portable precompilation, the
# freshness of the committed shard matrix, the CLI's tests and lints in Nix, the Nix lint, and
# every shard; the reproducibility of shard outputs (`nix build --rebuild`) and a seed sweep through
# Nix; the Hydra jobs (a nightly one too); shards on a remote builder; the binary cache shared with a second store.
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
cd "$ROOT"

prepare_nix
if [ "$NIX_MODE" = real ]; then
  step "set-up: the native tools for the tests outside Nix (wasmtime, Rust for wasm)"
  bash tools/setup.sh
fi

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

step "README: the blocks generated from data (Motoko comparison, depth plan) match their data"
bash tools/bench-motoko.sh --check-readme README.md
depth_plan_block | rts_shards readme depth-plan README.md --check \
  --regenerate "source tools/common.sh; depth_plan_block | rts_shards readme depth-plan README.md --update"

step "CI configuration: actionlint on the workflow, the Hydra spec, the flake attributes they name"
bash tools/check-ci-config.sh

step "nix flake check: standard library, variant builds, shard matrix freshness, CLI tests and clippy, Nix lint, every shard"
check_log=$(mktemp)
flake_check() {
  nix flake check "${NIX_FLAGS[@]}" --max-jobs "${MAX_JOBS:-$(nproc)}" --keep-going \
    --option allow-import-from-derivation false 2>&1 | tee "$check_log"
}
if ! flake_check; then
  # Nix can kill a builder that is already exiting (NixOS/nix#2176; nix/builder.sh guards
  # against it). Only when every failure is of that kind, build once more: what passed is cached.
  if grep -q 'failed due to signal 9 (Killed)' "$check_log" &&
    ! grep -q 'failed with exit code' "$check_log"; then
    echo "retrying builds that Nix killed while they exited" >&2
    flake_check
  else
    exit 1
  fi
fi
rm -f "$check_log"

system=$(nix eval "${NIX_OPTS[@]}" --raw --impure --expr builtins.currentSystem)
report=$(mktemp -d)
trap 'rm -rf "$report"' EXIT

step "reproducible shards: nix build --rebuild of passing shards; their times from the build logs; a seed sweep through Nix"
# Two short shards of the matrix. --rebuild runs them again and fails if any output byte differs.
rebuild_shards=(ni-crc32 inc-leb128)
for s in "${rebuild_shards[@]}"; do
  grep -q "\"name\": \"$s\"" nix/shards.json || {
    echo "test.sh: shard $s is not in nix/shards.json: pick two other short shards" >&2
    exit 1
  }
done
nix build "${NIX_FLAGS[@]}" --rebuild --out-link "$report/shard" "${rebuild_shards[@]/#/.#checks.$system.}"
# The outputs hold no times; `rts-shards report` reads them from the rebuilds' logs.
rts_shards report "$report" --json "$report/times.json"
grep -q '"timed": 2,' "$report/times.json" || {
  echo "test.sh: rts-shards report found no times in the build logs of ${rebuild_shards[*]}" >&2
  exit 1
}
rm -f "$report"/shard*
rts_shards sweep --nix "${rebuild_shards[0]}" --seeds 2..3

step "Hydra jobs: the all-shards aggregate and the report (JUnit, JSON summary)"
nix build "${NIX_FLAGS[@]}" ".#hydraJobs.all-shards.$system" ".#hydraJobs.report.$system" --out-link "$report/r"
ls "$report"/r-1/
head -c 400 "$report"/r-1/summary.json
echo

step "depth: a nightly job (its shard at nix/suites.json's nightly_scale, seeded by the date)"
nightly_shard=ni-crc32
nix build "${NIX_FLAGS[@]}" ".#hydraJobs.nightly.$system.$nightly_shard" --out-link "$report/n"
nightly_scale=$(jq '.rts.nightly_scale' nix/suites.json)
jq -e --argjson scale "$nightly_scale" '.status == "pass" and .scale == $scale and .seed > 19700101' \
  "$report/n/result.json" || {
  echo "test.sh: the nightly $nightly_shard did not pass at scale $nightly_scale with a date seed" >&2
  exit 1
}

step "remote builder: shards built on a second Nix store over ssh"
bash tools/remote-builder.sh 6

step "binary cache: the results pushed, signed, served over HTTP and substituted by a second store"
bash tools/binary-cache.sh
