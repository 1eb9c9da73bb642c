# shellcheck shell=bash
# Builds libtommath for one wasm word size and its Rust bindings with Motoko's own Makefile
# (rts/Makefile: its list of libtommath files, its clang and bindgen flags), into
# OUT/_build/libtommath_<wasm>.a and OUT/_build/<wasm>/tommath_bindings.rs.
#
# Usage: build-tommath.sh [OUT]   (default: $out, as in a Nix build)
# Environment: MOTOKO_RTS (Motoko's rts/), TOMMATHSRC (libtommath's sources), WASM (wasm32 or
#   wasm64), CLANG_LIB (the unwrapped clang's `lib` output, with lib/clang/<major>/).
# Needs make, bash, clang, llvm-ar, llvm-ranlib and bindgen on PATH.
set -euo pipefail

out=${1:-${out:?usage: build-tommath.sh OUT (or $out set, as in a Nix build)}}
: "${MOTOKO_RTS:?}" "${TOMMATHSRC:?}" "${WASM:?}" "${CLANG_LIB:?}"
case $WASM in wasm32 | wasm64) ;; *)
  echo "build-tommath: WASM must be wasm32 or wasm64, not '$WASM'" >&2
  exit 2
  ;;
esac
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
# The Makefile's own targets; it lists Rust files with `ls **/*.rs` from its folder, which the
# C targets do not use, so it runs from an empty one.
mkdir "$scratch/rts"
status=0
make -C "$scratch/rts" -f "$MOTOKO_RTS/Makefile" --no-print-directory \
  TOMMATHSRC="$TOMMATHSRC" WASM_CLANG=clang WASM_CLANG_LIB="$CLANG_LIB" \
  "_build/libtommath_$WASM.a" "_build/$WASM/tommath_bindings.rs" >"$scratch/make.log" 2>&1 || status=$?
grep -v "^ls: cannot access" "$scratch/make.log" >&2 || true
[ "$status" = 0 ] || exit "$status"
scratch=$scratch/rts
mkdir -p "$out/_build/$WASM"
cp "$scratch/_build/libtommath_$WASM.a" "$out/_build/"
cp "$scratch/_build/$WASM/tommath_bindings.rs" "$out/_build/$WASM/"
echo "build-tommath: $WASM: $(wc -c <"$out/_build/libtommath_$WASM.a") bytes of libtommath, bindings of" \
  "$(grep -o 'pub fn' "$out/_build/$WASM/tommath_bindings.rs" | wc -l) functions" >&2
