# shellcheck shell=bash
# The Motoko suite's coverage proof: for each variant, the shards together run every unit of
# work that the unmodified `main()` of Motoko's rts/motoko-rts-tests runs, each exactly once.
#
# What `main()` runs is read from Motoko's own, unpatched sources (SRC = motoko-rts-tests/src):
# the modules it calls, and within them the GC's pre-defined heaps (`TestHeap {` in
# `test_heaps`), random-heap seeds (`let max_seed = N`), component tests (each `<part>::test()` of
# each group `test_gc_components` calls for the variant's GC kind), and for persistence
# either the 64-bit read/write test (classical) or the stabilization parts and heap sizes
# (enhanced). What the shards ran is read from their logs: one `[unit] <name>` line per unit,
# printed by the entry points of ./shards.patch. A pattern that is not found fails the check, so a
# change in Motoko's sources cannot make it pass vacuously.
#
# Environment: SRC; VARIANTS ("<variant>:<classical|enhanced>:<incremental_gc|non_incremental_gc>
# ..."); LOGS ("<variant>=<shard
# output> ..."); out. Also proves the check can fail: leaving out any one shard that ran units
# must make it fail.
set -euo pipefail
: "${SRC:?}" "${VARIANTS:?}" "${LOGS:?}" "${out:?}"

fail() {
  echo "coverage: $*" >&2
  exit 1
}
# The body of `fn NAME` in FILE: from its line to the next line that is just `}`; with ATTR,
# the definition that follows the attribute line `#[ATTR]`.
body() { # file name [attr]
  awk -v name="$2" -v attr="${3:+#[$3]}" '$0 ~ "fn " name "\\(" && (attr == "" || prev == attr) { on = 1 }
    on { print } on && /^}/ { exit } { prev = $0 }' "$1"
}

# The component tests of gc.rs `test_gc_components` for a GC kind (incremental_gc or
# non_incremental_gc, the attribute it is defined under): one unit per `<group>::test()` it calls
# and `<part>::test()` that group's `test` calls, as gc/components/<group>/<part>.
components() { # gc kind
  local groups group parts part
  groups=$(body "$SRC/gc.rs" test_gc_components "$1" | grep -oE '^ +[a-z_]+::test\(\);' |
    grep -oE '[a-z_]+::' | tr -d :)
  [ -n "$groups" ] || fail "no component groups in gc.rs test_gc_components under #[$1]"
  for group in $groups; do
    parts=$(body "$SRC/gc/$group.rs" test | grep -oE '^ +[a-z_]+::test\(\);' | grep -oE '[a-z_]+::' | tr -d :)
    [ -n "$parts" ] || fail "no component tests in gc/$group.rs test"
    for part in $parts; do echo "gc/components/$group/$part"; done
  done
}

# --- what main() runs, for one persistence kind and GC kind -----------------------------------
expected() { # persistence kind, gc kind
  local kind=$1 gc_kind=$2 main gc predefined seeds n
  main=$(body "$SRC/main.rs" main)
  [ -n "$main" ] || fail "no fn main in $SRC/main.rs"
  gc=$(body "$SRC/gc.rs" test)
  [ -n "$gc" ] || fail "no fn test in $SRC/gc.rs"
  while read -r call; do
    case $call in
      gc)
        predefined=$(body "$SRC/gc.rs" test_heaps | grep -c 'TestHeap {' || true)
        [ "$predefined" -gt 0 ] || fail "no pre-defined heaps found in gc.rs test_heaps"
        for ((n = 0; n < predefined; n++)); do echo "gc/predefined/$n"; done
        seeds=$(grep -oE 'let max_seed = [0-9]+;' <<<"$gc" | grep -oE '[0-9]+') || fail "no max_seed in gc.rs test"
        for ((n = 0; n < seeds; n++)); do echo "gc/random/$n"; done
        grep -q 'test_gc_components();' <<<"$gc" || fail "gc.rs test runs no test_gc_components"
        components "$gc_kind"
        ;;
      persistence_test)
        if [ "$kind" = classical ]; then
          grep -q 'test_read_write_64_bit();' "$SRC/main.rs" || fail "no test_read_write_64_bit in main.rs"
          echo persistence/read_write_64
        else
          local stab
          stab=$(body "$SRC/stabilization.rs" test)
          for part in layout stable_bigints reader_writer; do
            grep -q "$part::test();" <<<"$stab" || fail "stabilization.rs test does not run $part"
            echo "persistence/$part"
          done
          grep -q 'test_stabilization();' <<<"$stab" || fail "stabilization.rs test does not run test_stabilization"
          n=$(body "$SRC/stabilization.rs" test_stabilization |
            grep -oE 'test_serialization_deserialization\(&mut random, [0-9_]+' | grep -oE '[0-9_]+$' | tr -d _)
          [ -n "$n" ] || fail "no heap sizes in stabilization.rs test_stabilization"
          for size in $n; do echo "persistence/heap/$size"; done
        fi
        ;;
      *) echo "$call" ;;
    esac
  done < <(awk 'match($0, /^[ \t]+[a-z0-9_]+::test\(\);/) || match($0, /^[ \t]+persistence_test\(\);/) {
    line = $0; gsub(/^[ \t]+|(::test)?\(\);.*$/, "", line); print line }' <<<"$main")
}

# --- what the shards ran ----------------------------------------------------------------------
ran() { # variant [shard output to leave out]
  local variant=$1 skip=${2-} entry
  for entry in $LOGS; do
    [ "${entry%%=*}" = "$variant" ] || continue
    [ "${entry#*=}" = "$skip" ] && continue
    awk '/^\[unit\] / { print substr($0, 8) }' "${entry#*=}/log"
  done
}

# Compares; prints what is missing or repeated. Exit 0 when every unit ran exactly once.
compare() { # expected-file ran-file
  local missing extra twice
  missing=$(sort -u "$2" | comm -23 <(sort -u "$1") -)
  extra=$(sort -u "$2" | comm -13 <(sort -u "$1") -)
  twice=$(sort "$2" | uniq -d)
  [ -z "$missing$extra$twice" ] && return 0
  [ -z "$missing" ] || echo "  not run by any shard: $(tr '\n' ' ' <<<"$missing")"
  [ -z "$extra" ] || echo "  run, but not by main(): $(tr '\n' ' ' <<<"$extra")"
  [ -z "$twice" ] || echo "  run more than once: $(tr '\n' ' ' <<<"$twice")"
  return 1
}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
report=""
for spec in $VARIANTS; do
  IFS=: read -r variant kind gc_kind <<<"$spec"
  expected "$kind" "$gc_kind" >"$work/expected"
  ran "$variant" >"$work/ran"
  if ! compare "$work/expected" "$work/ran" >"$work/diff"; then
    cat "$work/diff" >&2
    fail "$variant: the shards do not run what main() runs, each exactly once"
  fi
  units=$(wc -l <"$work/expected")
  shards=0
  # Sensitivity: without any one shard that ran units, the check must fail.
  for entry in $LOGS; do
    [ "${entry%%=*}" = "$variant" ] || continue
    grep -qE '^\[unit\] ' "${entry#*=}/log" || fail "$variant: shard ${entry#*=} ran no unit"
    ran "$variant" "${entry#*=}" >"$work/without"
    compare "$work/expected" "$work/without" >/dev/null && fail "$variant: leaving out ${entry#*=} went unnoticed"
    shards=$((shards + 1))
  done
  line="$variant: $shards shards run all $units units of main(), each once"
  echo "coverage: $line" >&2
  report+="$line"$'\n'
done
printf '%s' "$report" >"$out"
