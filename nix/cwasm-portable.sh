# Checks that each variant's .cwasm is portable: compiling its .wasm again with every CPU feature
# beyond the baseline explicitly off gives the same bytes, so nothing of the building machine's
# CPU reached it. Environment: WASMTIME_FLAGS_OF (lines "<variant> <wasm> <cwasm> <wasmtime flags>"),
# PRECOMPILE_FLAGS_SH, out.
set -euo pipefail
# shellcheck source=nix/precompile-flags.sh
source "$PRECOMPILE_FLAGS_SH"
off=()
for f in "${BEYOND_BASELINE[@]}"; do off+=("-Ccranelift-$f=false"); done
while read -r variant wasm cwasm flags; do
  [ -n "$variant" ] || continue
  # shellcheck disable=SC2086 # a word list
  wasmtime compile -C cache=n $flags "${PRECOMPILE_FLAGS[@]}" "${off[@]}" \
    "$wasm" -o "$TMPDIR/$variant.cwasm"
  new=$(sha256sum <"$TMPDIR/$variant.cwasm")
  if [ "$new" = "$(sha256sum <"$cwasm")" ]; then
    echo "$variant: .cwasm identical with ${#off[@]} CPU features beyond the baseline off"
  else
    echo "$variant: .cwasm differs when CPU features beyond the baseline are off: not portable" >&2
    exit 1
  fi
done <<<"$WASMTIME_FLAGS_OF"
mkdir -p "$out"
echo "every variant's .cwasm is independent of the build machine's CPU" >"$out/result"
