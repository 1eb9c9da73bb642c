#!/usr/bin/env bash
# Shows the shards' results shared through a Nix binary cache, end to end on one machine:
#   1. everything this store built for the flake's checks (variants, standard library, shards,
#      ...) is pushed, signed with a key made here, to a `file://` binary cache;
#   2. lighttpd serves that directory on 127.0.0.1 (any static file server would do);
#   3. a second, empty Nix store (a separate store root) runs `nix flake check` with that cache as
#      its only substituter and --max-jobs 0: every result is substituted, nothing is built, and
#      the shards' result.json files are the ones this store produced;
#   4. an unsigned cache, and the signed one under a wrong key, are refused;
#   5. after a one-line change in a test module both stores would build the same derivations
#      (`--dry-run`: the set each store must build, the second one with the cache).
# Run it after a full `nix flake check` (tools/test.sh does). Needs root (it installs lighttpd if
# missing, with no service of it started or enabled: tools/apt-install.sh; lighttpd runs only as
# this script's process).
# Prints its figures; exits non-zero if any of the above does not hold.
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
cd "$ROOT"
rts_nix_mode
rts_nix_flags

port=${RTS_CACHE_PORT:-8737}
work=$(mktemp -d /var/tmp/rts-cache.XXXXXX)
servers=()
cleanup() {
  for pid in "${servers[@]}"; do kill "$pid" 2>/dev/null || true; done
  chmod -R u+w "$work" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
die() {
  echo "binary-cache: FAIL: $*" >&2
  exit 1
}
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }
system=$(nix eval "${NIX_OPTS[@]}" --raw --impure --expr builtins.currentSystem)
checks=".#checks.$system"

# Serves directory $1 on 127.0.0.1:$2 with lighttpd, in the foreground of a background job.
serve() {
  local dir=$1 p=$2
  cat >"$work/lighttpd-$p.conf" <<CONF
server.document-root = "$dir"
server.bind = "127.0.0.1"
server.port = $p
server.errorlog = "$work/lighttpd-$p.log"
mimetype.assign = (".narinfo" => "text/x-nix-narinfo", "" => "application/octet-stream")
CONF
  lighttpd -D -f "$work/lighttpd-$p.conf" &
  servers+=($!)
  for _ in $(seq 50); do
    nix store ping "${NIX_OPTS[@]}" --store "http://127.0.0.1:$p" >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  die "lighttpd did not answer on 127.0.0.1:$p (see $work/lighttpd-$p.log)"
}

step "lighttpd, and a signing key for this run"
if ! command -v lighttpd >/dev/null; then
  # shellcheck source=tools/apt-install.sh
  source "$ROOT/tools/apt-install.sh"
  apt_install_no_services "lighttpd.service" "" lighttpd
fi
nix-store --generate-binary-cache-key rts-shards-demo-1 "$work/secret" "$work/public"
nix-store --generate-binary-cache-key rts-shards-other-1 "$work/other-secret" "$work/other-public"

step "1. push: every path this store built or used for the checks, signed"
# One evaluation of the checks, a line "<name> <drv> <out>" each; the shards are the checks
# whose store paths are named shard-*.
table=$(nix eval "${NIX_FLAGS[@]}" --raw "$checks" --apply \
  'c: builtins.concatStringsSep "" (map (n: "${n} ${c.${n}.drvPath} ${c.${n}.outPath}\n") (builtins.attrNames c))')
names=() drvs=() check_outs=() shard_outs=()
while read -r name drv out; do
  names+=("$name") drvs+=("$drv") check_outs+=("$out")
  case $out in */*-shard-*) shard_outs+=("$out") ;; esac
done <<<"$table"
[ ${#drvs[@]} -gt 0 ] || die "no checks evaluated"
# The build closure of the checks: the sources and every output their derivations have here
# (the .drv files themselves are not needed to substitute; as `nix copy` arguments they would
# mean their outputs).
mapfile -t closure < <(nix-store -qR --include-outputs "${drvs[@]}" | grep -v '\.drv$')
missing=$(nix-store --check-validity --print-invalid "${check_outs[@]}" | head -n 3)
[ -z "$missing" ] || die "check outputs are not in this store (run nix flake check first): $missing"
mapfile -t invalid < <(nix-store --check-validity --print-invalid "${closure[@]}")
[ ${#invalid[@]} -eq 0 ] || echo "not here, so not pushed: ${#invalid[@]} paths of the build closure"
mapfile -t valid < <(printf '%s\n' "${closure[@]}" "${invalid[@]}" | sort | uniq -u)
start=$(now)
nix copy "${NIX_OPTS[@]}" --to "file://$work/cache?secret-key=$work/secret&compression=none" "${valid[@]}"
pushed=$(find "$work/cache" -maxdepth 1 -name '*.narinfo' | wc -l)
echo "pushed $pushed paths (${#shard_outs[@]} shard results among them) in $(since "$start") s"

step "2. serve it: lighttpd on 127.0.0.1:$port"
serve "$work/cache" "$port"
echo "http://127.0.0.1:$port/nix-cache-info: $(tr '\n' ' ' <"$work/cache/nix-cache-info")"

step "3. a second, empty store runs nix flake check with only that cache, and may build nothing"
store2=$work/store2
# Nix remembers narinfo answers per cache URL for days; this run's cache is new at an old URL.
fresh=(--option narinfo-cache-positive-ttl 0 --option narinfo-cache-negative-ttl 0)
cache_opts=(--option substituters "http://127.0.0.1:$port" --option trusted-public-keys "$(cat "$work/public")" "${fresh[@]}")
start=$(now)
status=0
nix flake check "${NIX_FLAGS[@]}" "${cache_opts[@]}" --store "$store2" --max-jobs 0 >"$work/check2.log" 2>&1 || status=$?
grep -v "^copying path" "$work/check2.log" || true
[ "$status" -eq 0 ] || die "nix flake check in the second store failed (exit $status)"
secs=$(since "$start")
substituted=$(grep -c "^copying path .* from 'http://127.0.0.1:$port'" "$work/check2.log" || true)
built=$(grep -c "^building '" "$work/check2.log" || true)
shards_substituted=$(grep -c "^copying path '[^']*-shard-[^']*' from 'http" "$work/check2.log" || true)
same=0
for p in "${shard_outs[@]}"; do
  cmp -s "$store2$p/result.json" "$p/result.json" || die "$p/result.json differs in the second store"
  same=$((same + 1))
done
echo "second store: $substituted paths substituted ($shards_substituted shards), $built built, in $secs s;" \
  "$same of ${#shard_outs[@]} shard result.json files byte-identical to the first store's"
[ "$shards_substituted" -eq "${#shard_outs[@]}" ] || die "only $shards_substituted of ${#shard_outs[@]} shards were substituted"
[ "$built" -eq 0 ] || die "the second store built $built derivations"

step "4. refused: an unsigned cache, and the signed one under a wrong key"
one=${shard_outs[0]}
nix copy "${NIX_OPTS[@]}" --to "file://$work/unsigned?compression=none" "$one"
serve "$work/unsigned" "$((port + 1))"
refused() { # name, then nix copy options
  local name=$1 out
  shift
  if out=$(nix copy "${NIX_OPTS[@]}" "${fresh[@]}" --store "$work/store3" "$@" "$one" 2>&1); then
    die "$name: accepted"
  fi
  grep -q 'lacks a valid signature' <<<"$out" || die "$name: failed, but not for its signature: $out"
  echo "$name: refused ($(grep -o "lacks a valid signature" <<<"$out" | head -n 1))"
}
refused "unsigned cache" --from "http://127.0.0.1:$((port + 1))" \
  --option trusted-public-keys "$(cat "$work/public")"
refused "signed cache, wrong key" --from "http://127.0.0.1:$port" \
  --option trusted-public-keys "$(cat "$work/other-public")"

step "5. one test module changed: what each store must build"
# The checkout as it is (tracked files, with their changes), and one line more in a test module.
changed=$work/changed
mkdir -p "$changed"
git ls-files -z | xargs -0 cp --parents -t "$changed"
git -C "$changed" init -q
git -C "$changed" add -A
module=rts/testsuite/src/modules/crc32.rs
printf '// a one-line change\n' >>"$changed/$module"
git -C "$changed" add "$module"
installables=()
for n in "${names[@]}"; do installables+=("$changed#checks.$system.$n"); done
to_build() { # extra nix options: the sorted derivations a dry run says it would build
  nix build "${NIX_FLAGS[@]}" --dry-run "$@" "${installables[@]}" 2>&1 |
    awk '/will be built:$/ { on = 1; next } /will be fetched/ { on = 0 } on && $1 ~ /\.drv$/ { print $1 }' | sort
}
to_build >"$work/build1"
to_build "${cache_opts[@]}" --store "$store2" >"$work/build2"
echo "first store: $(wc -l <"$work/build1") derivations to build; second store with the cache: $(wc -l <"$work/build2")"
diff "$work/build1" "$work/build2" || die "the two stores would build different sets"
[ -s "$work/build1" ] || die "a changed test module rebuilds nothing"
echo "the same $(wc -l <"$work/build1") derivations: $(grep -c 'shard-' "$work/build1") shards and" \
  "$(grep -c -- '-rts-' "$work/build1") variants, and the checks that read them"
echo "binary cache run: ok"
