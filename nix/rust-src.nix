# The Rust standard library sources and their vendored dependencies, unpacked from the Rust
# source tarball (`rustc.src`, which carries both `library/` and `vendor/`): everything
# -Zbuild-std needs, with no network access.
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
      tar -xf "$src" -C "$out" --strip-components=1 \
        --wildcards --no-wildcards-match-slash '*/library' '*/vendor'
      test -f "$out/library/Cargo.lock" && test -d "$out/vendor"
    ''
  ];
}
