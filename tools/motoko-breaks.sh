#!/usr/bin/env bash
# Nothing hides behind the Motoko suite's speed-ups: for each hand-made break of Motoko's RTS
# (nix/motoko/breaks/*.patch, or the patches given), a copy of the locked Motoko sources with the
# break applied is built and tested twice through Nix, with `--override-input motoko`: every
# shard of the variants the patch names (its `Variants:` line) as the default checks build them
# (with nix/motoko/speedups), and the same shards as upstream builds them (hydraJobs.nightly's
# <variant>-upstream-<shard>). It prints the shards that failed each way and fails unless both
# ways failed, and failed in the same shards.
#
# Usage: tools/motoko-breaks.sh [BREAK.patch]...   (default: nix/motoko/breaks/*.patch)
# Exit: 0 every break caught the same way by both builds, 1 not, 2 usage or set-up error.
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
cd "$ROOT"

breaks=("$@")
[ ${#breaks[@]} -gt 0 ] || breaks=(nix/motoko/breaks/*.patch)
for b in "${breaks[@]}"; do
  [ -f "$b" ] || {
    echo "motoko-breaks: no break patch $b" >&2
    exit 2
  }
done
prepare_nix
system=$(nix eval "${NIX_OPTS[@]}" --impure --raw --expr builtins.currentSystem)
# The flags without the offline override of the motoko input, which each break replaces.
flags=()
for ((i = 0; i < ${#NIX_FLAGS[@]}; i++)); do
  if [ "${NIX_FLAGS[i]}" = --override-input ] && [ "${NIX_FLAGS[i + 1]}" = motoko ]; then
    i=$((i + 2))
    continue
  fi
  flags+=("${NIX_FLAGS[i]}")
done
# The locked Motoko sources, as the default build sees them (its MOTOKO_RTS is <motoko>/rts).
motoko=$(dirname "$(nix eval "${NIX_FLAGS[@]}" --raw ".#packages.$system.mo-ni.MOTOKO_RTS" 2>/dev/null)")
[ -d "$motoko/rts" ] || nix build "${NIX_FLAGS[@]}" --no-link ".#packages.$system.mo-ni.MOTOKO_RTS" 2>/dev/null || true
[ -d "$motoko/rts" ] || {
  echo "motoko-breaks: the Motoko sources ($motoko) are not in the store" >&2
  exit 2
}
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT

status=0
for b in "${breaks[@]}"; do
  name=$(basename "$b" .patch)
  read -r -a variants < <(sed -n 's/^Variants: \([^(]*\).*/\1/p' "$b")
  [ ${#variants[@]} -gt 0 ] || {
    echo "motoko-breaks: $b has no 'Variants:' line" >&2
    exit 2
  }
  step "break $name: $(head -n 1 "$b")"
  copy=$scratch/$name
  cp -r "$motoko" "$copy"
  chmod -R u+w "$copy"
  patch -d "$copy" -p1 --batch --forward --quiet <"$b"
  shards=$(jq -r --arg v "${variants[*]}" '.shards[] | select(.variant as $x | $v | split(" ") | index($x)) | .module + " " + .variant' \
    nix/motoko/shards.json)
  log=$scratch/$name.log
  over=(--override-input motoko "path:$copy")
  # Each way in a build of its own; a shard failed when its output is not in the store after.
  fast="" slow=""
  for way in speedups upstream; do
    installables=()
    while read -r module variant; do
      if [ "$way" = speedups ]; then
        installables+=(".#checks.$system.$variant-$module")
      else
        installables+=(".#hydraJobs.nightly.$system.$variant-upstream-$module")
      fi
    done <<<"$shards"
    nix build "${flags[@]}" "${over[@]}" --no-link --keep-going --max-jobs "$(nproc)" \
      "${installables[@]}" >"$log" 2>&1 || true
    # A failed build of a test binary leaves its shards unbuilt: a set-up error here.
    if grep -E "builder for '/nix/store/[^']*-mo-[a-z0-9-]*[.]drv' failed" "$log" | grep -vq shard-; then
      grep -E "error|failed" "$log" | tail -n 20 >&2
      echo "motoko-breaks: $name: a test binary did not build ($way)" >&2
      exit 2
    fi
    while read -r module variant; do
      i=".#checks.$system.$variant-$module"
      [ "$way" = speedups ] || i=".#hydraJobs.nightly.$system.$variant-upstream-$module"
      nix path-info "${flags[@]}" "${over[@]}" "$i" >/dev/null 2>&1 && continue
      if [ "$way" = speedups ]; then fast+="$variant-$module"$'\n'; else slow+="$variant-$module"$'\n'; fi
    done <<<"$shards"
  done
  fast=${fast%$'\n'} slow=${slow%$'\n'}
  echo "  with the speed-ups, failed:  $(paste -sd" " <<<"${fast:-none}")"
  echo "  as upstream builds, failed: $(paste -sd" " <<<"${slow:-none}")"
  if [ -z "$fast" ] || [ "$fast" != "$slow" ]; then
    echo "motoko-breaks: $name: the two builds did not fail in the same shards" >&2
    status=1
  else
    echo "  caught the same way by both: $(echo "$fast" | wc -l) of $(echo "$shards" | wc -l) shards of ${variants[*]}"
  fi
done
exit "$status"
