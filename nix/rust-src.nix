# The Rust standard library sources and the crates they depend on, unpacked from the Rust source
# tarball (`rustc.src`, which carries `library/` and `vendor/`): everything -Zbuild-std needs,
# with no network access. Of `vendor/` (the compiler's crates too, in nixpkgs' tarball) only the
# packages that library/Cargo.lock names are kept.
{
  system,
  toolchain,
}:
builtins.derivation {
  name = "rust-src-${toolchain.rustcVersion}";
  inherit system;
  builder = toolchain.bash;
  PATH = toolchain.unpackPath;
  src = toolchain.rustcSrc;
  args = [
    ./builder.sh
    "-c"
    ''
      set -euo pipefail
      mkdir -p "$out"
      # One listing for the vendored package directories (vendor/<name>-<version>, or
      # vendor/<name> in an unversioned vendor directory).
      tar -tf "$src" | awk -F/ '$2 == "vendor" && $3 != "" && !seen[$3]++ { print $3 }' >"$TMPDIR/vendored"
      tar -xf "$src" -C "$out" --strip-components=1 --wildcards --no-wildcards-match-slash '*/library'
      test -f "$out/library/Cargo.lock"
      # The registry packages of library/Cargo.lock, as "<name>-<version>" and "<name>".
      awk '/^\[\[package\]\]/ { n = v = "" }
           /^name = / { n = $3; gsub(/"/, "", n) }
           /^version = / { v = $3; gsub(/"/, "", v) }
           /^source = "registry/ { print n "-" v; print n }' "$out/library/Cargo.lock" | sort -u >"$TMPDIR/wanted"
      grep -xFf "$TMPDIR/wanted" "$TMPDIR/vendored" | awk '{ print "*/vendor/" $0 }' >"$TMPDIR/patterns" || true
      [ -s "$TMPDIR/patterns" ] || { echo "rust-src: no package of library/Cargo.lock in vendor/" >&2; exit 1; }
      tar -xf "$src" -C "$out" --strip-components=1 --wildcards --no-wildcards-match-slash -T "$TMPDIR/patterns"
      echo "rust-src: library/ and $(wc -l <"$TMPDIR/patterns") of $(wc -l <"$TMPDIR/vendored") vendored packages"
    ''
  ];
}
