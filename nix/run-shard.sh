# Runs one shard: one test export of one precompiled variant under wasmtime, with a time and
# memory cap. The builder of every shard derivation; also usable by hand with the same variables.
#
# Environment: shard variant module export seed cwasm wasmtimeFlags maxMemory timeoutSeconds
#   reproduce (a command that reruns this shard) out
# Writes $out/log (everything the test printed) and $out/result.json. On failure prints the
# test's output and one last line naming variant, module, seed and how to reproduce, and exits 1.
set -uo pipefail

: "${shard:?}" "${variant:?}" "${module:?}" "${export:?}" "${seed:?}" "${cwasm:?}" "${out:?}"
maxMemory=${maxMemory:-4294967296}
timeoutSeconds=${timeoutSeconds:-900}
export HOME=${TMPDIR:-/tmp} # wasmtime wants a writable home even with its cache off
scratch=$(mktemp -d)

# shellcheck disable=SC2206 # wasmtimeFlags is a word list
cmd=(wasmtime run -C cache=n ${wasmtimeFlags:-} -W "max-memory-size=$maxMemory" -W trap-on-grow-failure=y
  --allow-precompiled --invoke "$export" "$cwasm" "$seed")
start=$(date +%s.%N)
timeout --kill-after=10 "$timeoutSeconds" \
  time -f '%M' -o "$scratch/maxrss" "${cmd[@]}" >"$scratch/log" 2>&1
status=$?
finish=$(date +%s.%N)
wall=$(awk -v a="$start" -v b="$finish" 'BEGIN { printf "%.3f", b - a }')
peak=$(tail -n 1 "$scratch/maxrss" 2>/dev/null | grep -E '^[0-9]+$' || echo null)
case $status in
  0) verdict=pass ;;
  124 | 137) verdict=timeout ;;
  *) verdict=fail ;;
esac

mkdir -p "$out"
mv "$scratch/log" "$out/log"
wasmtime_version=$(wasmtime --version)
cat >"$out/result.json.tmp" <<JSON
{"name": "$shard", "variant": "$variant", "module": "$module", "seed": $seed, "status": "$verdict", "exit_code": $status, "wall_seconds": $wall, "peak_memory_kib": $peak, "wasmtime_version": "$wasmtime_version", "started_at_unix": $start, "finished_at_unix": $finish}
JSON
mv "$out/result.json.tmp" "$out/result.json"

if [ "$verdict" = pass ]; then
  echo "PASS $shard seed=$seed ${wall}s peak=${peak}KiB"
  exit 0
fi
cat "$out/log" >&2
why="exit code $status"
[ "$verdict" = timeout ] && why="timed out after ${timeoutSeconds}s"
grep -q 'forcing trap when growing memory' "$out/log" && why="memory cap of $maxMemory bytes reached"
{
  echo "SHARD FAILED ($why): variant=$variant module=$module seed=$seed"
  echo "  reproduce: ${reproduce:-nix build -L .#checks.$shard}"
  echo "  or:        ${cmd[*]}"
} >&2
exit 1
