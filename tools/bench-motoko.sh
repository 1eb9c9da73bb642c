#!/usr/bin/env bash
# The headline comparison of the Motoko suite, measured in one run on this machine, from the same
# built and precompiled test binaries (their builds are the same either way and count in neither):
#   Motoko's way: one process per variant running main(), the three at once (`make -j3 test`);
#   sharded: `nix build --max-jobs <cores>` of every Motoko shard check, their outputs deleted
#     first so that every shard runs.
# Then the suite's work W (the shards' own times, from each shard's `rts-shard-timing` log line;
# the same work measures both ways, since the three processes of Motoko's way share the cores and
# their own times include waiting), the longest shard's share of it, each way's efficiency
# W / (cores x wall), and the planner's
# makespans for 8 and 32 builders (`rts-shards plan` on the timings just measured).
#
# Usage: tools/bench-motoko.sh [--out FILE]   (default nix/motoko/bench.json; also writes
#        nix/motoko/timings.json, the shard times `rts-shards plan` and `run` read)
# Everything is latency (wall time of one run) at the concurrency stated; run it on a quiet
# machine.
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
cd "$ROOT"
out=nix/motoko/bench.json
timings=nix/motoko/timings.json
while [ $# -gt 0 ]; do
  case $1 in
    --out)
      out=${2:?--out needs a file}
      shift 2
      ;;
    *)
      echo "bench-motoko: unknown argument '$1' (usage: tools/bench-motoko.sh [--out FILE])" >&2
      exit 2
      ;;
  esac
done
prepare_nix
system=$(nix eval "${NIX_OPTS[@]}" --impure --raw --expr builtins.currentSystem)
cores=$(nproc)
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT

step "build the three Motoko test variants and rts-shards (not timed: the same for both ways)"
mapfile -t variants < <(nix eval "${NIX_OPTS[@]}" --impure --raw --expr \
  "builtins.concatStringsSep \"\\n\" (builtins.attrNames (builtins.fromJSON (builtins.readFile $ROOT/nix/motoko/variants.json)))")
installables=()
for v in "${variants[@]}"; do installables+=(".#packages.$system.$v"); done
nix build "${NIX_FLAGS[@]}" --no-link --max-jobs "$cores" "${installables[@]}" ".#packages.$system.rts-shards"
# Nix 2.8's `nix build` has no --print-out-paths; `nix path-info` names the built output.
out_of() { nix path-info "${NIX_FLAGS[@]}" "$1" 2>/dev/null; }
rts_shards=$(out_of ".#packages.$system.rts-shards")/bin/rts-shards

step "Motoko's way: main() of each variant, one process each, all at once"
t0=$(now)
for v in "${variants[@]}"; do
  (
    pkg=$(out_of ".#packages.$system.$v")
    flags=$(nix eval "${NIX_OPTS[@]}" --impure --raw --expr \
      "builtins.concatStringsSep \" \" (builtins.fromJSON (builtins.readFile $ROOT/nix/motoko/variants.json)).\"$v\".wasmtime_flags")
    s=$(now)
    # shellcheck disable=SC2086 # a word list
    wasmtime run -C cache=n $flags --allow-precompiled "$pkg/tests.cwasm" >"$scratch/$v.log" 2>&1
    echo "$? $(elapsed "$s" "$(now)")" >"$scratch/$v.status"
  ) &
done
wait
main_wall=$(elapsed "$t0" "$(now)")
main_work=0
for v in "${variants[@]}"; do
  read -r status secs <"$scratch/$v.status"
  if [ "$status" != 0 ]; then
    tail -n 20 "$scratch/$v.log" >&2
    echo "bench-motoko: main() of $v failed (exit $status)" >&2
    exit 1
  fi
  echo "  $v: main() ${secs}s" >&2
  main_work=$(awk -v a="$main_work" -v b="$secs" 'BEGIN { print a + b }')
done
echo "  all three: ${main_wall}s wall" >&2

step "sharded: every Motoko shard as a Nix check, --max-jobs $cores, outputs deleted first"
mapfile -t shards < <(nix eval "${NIX_OPTS[@]}" --impure --raw --expr \
  "builtins.concatStringsSep \"\\n\" (map (s: s.name) (builtins.fromJSON (builtins.readFile $ROOT/nix/motoko/shards.json)).shards)")
installables=()
for s in "${shards[@]}"; do installables+=(".#checks.$system.$s"); done
mapfile -t outs < <(nix eval "${NIX_FLAGS[@]}" --raw ".#checks.$system" --apply \
  "c: builtins.concatStringsSep \"\\n\" (map (n: c.\${n}.outPath) [$(printf '"%s" ' "${shards[@]}")])" 2>/dev/null)
valid=()
for p in "${outs[@]}"; do [ -e "$p" ] && valid+=("$p"); done
[ ${#valid[@]} -eq 0 ] || nix store delete "${NIX_OPTS[@]}" "${valid[@]}" 2>/dev/null ||
  { echo "bench-motoko: cannot delete the shard outputs (a GC root holds one?)" >&2; exit 1; }
t0=$(now)
nix build "${NIX_FLAGS[@]}" --no-link --max-jobs "$cores" "${installables[@]}" 2>"$scratch/nix.log" || {
  tail -n 40 "$scratch/nix.log" >&2
  exit 1
}
shard_wall=$(elapsed "$t0" "$(now)")
echo "  ${#shards[@]} shards: ${shard_wall}s wall" >&2

# The shards' own times: `rts-shards report` reads each run's rts-shard-timing log line.
mkdir "$scratch/outs"
for i in "${!shards[@]}"; do ln -s "${outs[$i]}" "$scratch/outs/${shards[$i]}"; done
"$rts_shards" report "$scratch/outs" --record-timings "$scratch/timings.json" >/dev/null
read -r work longest longest_name < <(awk -F'"' '/": \{$/ { n = $2 } /wall_seconds/ { split($0, a, ": "); w = a[2] + 0; t += w; if (w > m) { m = w; mn = n } }
  END { printf "%.1f %.1f %s\n", t, m, mn }' "$scratch/timings.json")
plan=$("$rts_shards" plan --timings "$scratch/timings.json" --workers "$cores,8,32")
echo "$plan" >&2

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
json=$(
  cat <<JSON
{
  "machine": "$system, $cores cpus ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')), $(nix --version)",
  "command": "tools/bench-motoko.sh",
  "date": "$(date -u +%Y-%m-%dT%H:%MZ)",
  "cores": $cores,
  "shards": ${#shards[@]},
  "main_wall_seconds": $main_wall,
  "main_process_seconds_sum": $main_work,
  "main_efficiency": $(ratio "$work" "$(awk -v c="$cores" -v w="$main_wall" 'BEGIN { print c * w }')"),
  "sharded_wall_seconds": $shard_wall,
  "shard_work_seconds": $work,
  "sharded_efficiency": $(ratio "$work" "$(awk -v c="$cores" -v w="$shard_wall" 'BEGIN { print c * w }')"),
  "speedup": $(ratio "$main_wall" "$shard_wall"),
  "longest_shard": "$longest_name",
  "longest_shard_seconds": $longest,
  "longest_shard_share": $(ratio "$longest" "$work"),
  "plan": $(printf '%s' "$plan" | awk 'BEGIN { printf "\"" } { gsub(/"/, "\\\""); printf "%s\\n", $0 } END { printf "\"" }')
}
JSON
)
mkdir -p "$(dirname "$out")"
printf '%s\n' "$json" >"$out.tmp" && mv "$out.tmp" "$out"
cp "$scratch/timings.json" "$timings.tmp" && mv "$timings.tmp" "$timings"
echo "bench-motoko: wrote $out and $timings" >&2
cat <<TABLE
| Motoko suite, $cores cores | wall | efficiency W/(cores x wall) |
| --- | --- | --- |
| Motoko's way: main() per variant, 3 processes at once | ${main_wall} s | $(ratio "$work" "$(awk -v c="$cores" -v w="$main_wall" 'BEGIN { print c * w }')") |
| sharded: ${#shards[@]} Nix checks, --max-jobs $cores | ${shard_wall} s | $(ratio "$work" "$(awk -v c="$cores" -v w="$shard_wall" 'BEGIN { print c * w }')") |
TABLE
echo "W = ${work} s of shard work; longest shard $longest_name ${longest} s = $(ratio "$longest" "$work") of W" >&2
