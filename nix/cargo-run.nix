# A cargo command on a native Rust package with its crates.io dependencies vendored (offline):
# the rts-shards CLI and its tests and lints.
{
  system,
  toolchain,
}: {
  name,
  src,
  vendorDir,
  # Shell commands run in a writable copy of `src`; they must create $out.
  script,
}:
builtins.derivation {
  inherit name system src vendorDir;
  builder = toolchain.bash;
  PATH = toolchain.rustPath;
  CARGO_OFFLINE_SH = ./cargo-offline.sh;
  args = [
    ./builder.sh
    "-c"
    ''
      set -euo pipefail
      export HOME=$TMPDIR CARGO_TARGET_DIR=$TMPDIR/target
      source "$CARGO_OFFLINE_SH"
      cargo_offline "$TMPDIR" "$vendorDir"
      cp -r "$src" "$TMPDIR/src"
      chmod -R u+w "$TMPDIR/src"
      cd "$TMPDIR/src"
      ${script}
    ''
  ];
}
