# shellcheck shell=bash
# Runs one shard: one test export of one precompiled variant under wasmtime, with a time and
# memory cap. The one definition of a shard run: the builder of every shard derivation, and what
# `rts-shards run` executes for each shard, with the same variables.
#
# Environment (set by nix/shard.nix, and by `rts-shards run`):
#   shard variant module export seed  which test, and its name <variant>-<module>
#   scale                             how deep (optional; default 1): above 1, the test export
#                                     test_<module> runs as scaled_<module>(seed, scale), the
#                                     same test with scale times the random work
#   suite                             the suite the variant belongs to (optional; for messages)
#   cwasm                             the module to run (precompiled .cwasm, or a .wasm)
#   wasmtimeFlags                     the variant's wasmtime_flags (nix/variants.json), space separated
#   maxMemory timeoutSeconds          the caps; empty or unset: the defaults below
#   system                            the Nix system, for the reproduce expression (optional)
#   out                               where $out/log and $out/result.json go
#   RTS_SHARD_WASMTIME                the wasmtime binary (default: wasmtime on PATH)
#   RTS_SHARD_PRINT_COMMAND=1         print the wasmtime command (one shell-quoted line) and exit 0
# Everything under $out is a function of the inputs: `log` is the test's output (the test has
# no clock and no randomness but its seed) and `result.json` is {name, variant, module, export,
# seed, scale, status, exit_code, wasmtime_version}, so `nix build --rebuild` and `--check` find the
# same bytes. What differs from run to run (wall time, peak memory, start and finish) goes to the
# build log instead, as one line `rts-shard-timing {json}`: Nix keeps the log beside the store
# (`nix log`, `nix-store --read-log`), Hydra keeps it per build step next to its own step times,
# and `rts-shards run` finds it in the shard's runner.log. `rts-shards report` reads it there.
# On failure prints the test's output, then a block naming variant, module and seed with the
# commands that reproduce it, and exits 1. Bad input exits 2. When it cannot write its outputs
# (a full disk) or run wasmtime at all (exit code 125-127 of timeout) it exits 3, an
# infrastructure failure, and leaves no result.json: result.json is written last, and only
# complete.
# Uses only bash, coreutils, grep, GNU time (optional: peak memory) and wasmtime.
set -uo pipefail

# The caps of every shard, defined here only.
DEFAULT_MAX_MEMORY=4294967296 # bytes: 4 GiB, the wasm32 address space
DEFAULT_TIMEOUT_SECONDS=900
# Tables are host memory outside the linear-memory cap: 1 Mi elements (8 MiB of funcrefs) each.
MAX_TABLE_ELEMENTS=1048576

die() {
  echo "run-shard.sh: $*" >&2
  exit 2
}
infra() {
  echo "run-shard.sh: infrastructure failure: $*" >&2
  exit 3
}
# A JSON string literal of $1: quotes and backslashes escaped, control characters as \uXXXX.
json_string() {
  local s=$1 out='"' c i
  for ((i = 0; i < ${#s}; i++)); do
    c=${s:i:1}
    case $c in
      '"' | '\') out+="\\$c" ;;
      [[:cntrl:]]) out+=$(printf '\\u%04x' "'$c") ;;
      *) out+=$c ;;
    esac
  done
  printf '%s"' "$out"
}
# A word quoted for a POSIX shell when it needs it.
quote() {
  if [[ $1 =~ ^[A-Za-z0-9_./=:,+@%-]+$ ]]; then
    printf '%s' "$1"
  else
    printf "'%s'" "${1//\'/\'\\\'\'}"
  fi
}

: "${shard:?}" "${variant:?}" "${module:?}" "${export:?}" "${seed:?}" "${cwasm:?}"
scale=${scale:-1}
maxMemory=${maxMemory:-$DEFAULT_MAX_MEMORY}
timeoutSeconds=${timeoutSeconds:-$DEFAULT_TIMEOUT_SECONDS}
# A seed is a wasm i64 that is not negative: 0 to 9223372036854775807 (tools/src/seed.rs).
[[ $seed =~ ^(0|[1-9][0-9]{0,18})$ && (${#seed} -lt 19 || ! $seed > 9223372036854775807) ]] ||
  die "seed must be an integer from 0 to 9223372036854775807, got '$seed'"
[[ $scale =~ ^[1-9][0-9]{0,8}$ ]] || die "scale must be an integer from 1 to 999999999, got '$scale'"
# The export invoked and its arguments: a test at depth 1 is test_<module>(seed); deeper, the
# test crate's scaled_<module>(seed, scale).
invoke=$export
args=("$seed")
if [ "$scale" != 1 ]; then
  [ "$export" = "test_$module" ] || die "scale applies to test exports (test_$module), not to '$export'"
  invoke=scaled_$module
  args+=("$scale")
fi
[[ $maxMemory =~ ^[1-9][0-9]*$ ]] || die "maxMemory must be a positive integer (bytes), got '$maxMemory'"
[[ $timeoutSeconds =~ ^[0-9]+(\.[0-9]+)?$ && ! $timeoutSeconds =~ ^0+(\.0+)?$ ]] ||
  die "timeoutSeconds must be a positive number, got '$timeoutSeconds'"

wasmtime=${RTS_SHARD_WASMTIME:-$(type -P wasmtime || echo wasmtime)}
# wasmtimeFlags is a word list: split on blanks, never glob-expanded.
read -r -a flags <<<"${wasmtimeFlags:-}"
cmd=("$wasmtime" run -C cache=n "${flags[@]}" -W "max-memory-size=$maxMemory" -W trap-on-grow-failure=y
  -W "max-table-elements=$MAX_TABLE_ELEMENTS" --allow-precompiled --invoke "$invoke" "$cwasm" "${args[@]}")
cmdline=""
for word in "${cmd[@]}"; do
  cmdline+="${cmdline:+ }$(quote "$word")"
done
if [ "${RTS_SHARD_PRINT_COMMAND:-}" = 1 ]; then
  printf '%s\n' "$cmdline"
  exit 0
fi

: "${out:?}"
export HOME=${TMPDIR:-/tmp} # wasmtime wants a writable home even with its cache off
scratch=$(mktemp -d) || infra "cannot create a temporary directory"
trap 'rm -rf "$scratch"' EXIT
measure=()
gnu_time=$(type -P time) && measure=("$gnu_time" -f '%M' -o "$scratch/maxrss")

start=$(date +%s.%N)
# The test's output goes through a pipe to `cat`, whose status says whether all of it was
# written (a full $TMPDIR would otherwise cut the log unseen).
mkfifo "$scratch/output" || infra "cannot create a pipe in $scratch"
cat "$scratch/output" >"$scratch/log" &
logger=$!
# In the background so that a TERM or INT (rts-shards on Ctrl-C) reaches the test: `timeout`
# leads its own process group, which the trap signals before this script ends.
timeout --kill-after=10 "$timeoutSeconds" "${measure[@]}" "${cmd[@]}" >"$scratch/output" 2>&1 &
runner=$!
trap 'kill -TERM -- "-$runner" 2>/dev/null || kill -TERM "$runner" 2>/dev/null; exit 143' TERM INT
wait "$runner"
status=$?
trap 'exit 143' TERM INT
wait "$logger" || infra "cannot write the test's output to $scratch/log"
# 125-127: timeout, time or wasmtime could not be run at all.
case $status in 125 | 126 | 127) infra "cannot run $wasmtime (exit code $status): $(tail -n 3 "$scratch/log")" ;; esac
finish=$(date +%s.%N)
elapsed=$((${finish/./} - ${start/./})) # nanoseconds
wall=$(printf '%d.%03d' $((elapsed / 1000000000)) $((elapsed / 1000000 % 1000)))
peak=$(tail -n 1 "$scratch/maxrss" 2>/dev/null | grep -E '^[0-9]+$' || echo null)
case $status in
  0) verdict=pass ;;
  124 | 137) verdict=timeout ;;
  *) verdict=fail ;;
esac

mkdir -p "$out" && rm -f "$out/result.json" || infra "cannot create $out"
# Every write is checked; result.json comes last, renamed into place only when complete.
cp "$scratch/log" "$out/log" || infra "cannot write $out/log"
wasmtime_version=$("$wasmtime" --version) || infra "$wasmtime --version failed"
result="{\"name\": $(json_string "$shard"), \"variant\": $(json_string "$variant"), \"module\": $(json_string "$module"), \"export\": $(json_string "$export"), \"seed\": $seed, \"scale\": $scale, \"status\": \"$verdict\", \"exit_code\": $status, \"wasmtime_version\": $(json_string "$wasmtime_version")}"
if ! printf '%s\n' "$result" >"$out/result.json.tmp"; then
  rm -f "$out/result.json.tmp"
  infra "cannot write $out/result.json"
fi
printf 'rts-shard-timing {"name": %s, "export": %s, "seed": %s, "scale": %s, "wall_seconds": %s, "peak_memory_kib": %s, "started_at_unix": %s, "finished_at_unix": %s}\n' \
  "$(json_string "$shard")" "$(json_string "$export")" "$seed" "$scale" "$wall" "$peak" "$start" "$finish" ||
  infra "cannot write the timing line"
mv "$out/result.json.tmp" "$out/result.json" || infra "cannot rename $out/result.json.tmp"

if [ "$verdict" = pass ]; then
  echo "PASS $shard seed=$seed ${wall}s peak=${peak}KiB"
  exit 0
fi
cat "$out/log" >&2
why="exit code $status"
[ "$verdict" = timeout ] && why="timed out after ${timeoutSeconds}s"
grep -q 'forcing trap when growing memory' "$out/log" && why="memory cap of $maxMemory bytes reached"
grep -q 'forcing trap when growing table' "$out/log" && why="table cap of $MAX_TABLE_ELEMENTS elements reached"
caps=""
[ "$maxMemory" = "$DEFAULT_MAX_MEMORY" ] || caps+=" maxMemory = $maxMemory;"
[ "$timeoutSeconds" = "$DEFAULT_TIMEOUT_SECONDS" ] || caps+=" timeoutSeconds = $timeoutSeconds;"
depth=""
[ "$scale" = 1 ] || depth=" scale = $scale;"
lib="(builtins.getFlake (toString ./.)).lib.${system:-\${builtins.currentSystem\}}.shard"
expr="$lib { variant = \"$variant\"; module = \"$module\"; export = \"$export\"; seed = $seed;$depth$caps }"
{
  echo "SHARD FAILED ($why): ${suite:+suite=$suite }variant=$variant module=$module seed=$seed${depth:+ scale=$scale}"
  if [ -z "$depth" ]; then
    echo "  reproduce: nix build -L .#checks.$shard"
    echo "  this seed: nix build -L --impure --expr $(quote "$expr")"
  else # the check of this name runs at scale 1
    echo "  reproduce: nix build -L --impure --expr $(quote "$expr")"
  fi
  echo "  or:        $cmdline"
} >&2
exit 1
