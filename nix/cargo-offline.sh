# Sourced by the cargo builds in nix/: points cargo at vendored sources and turns the network off.
# Usage: cargo_offline SCRATCH_DIR VENDOR_DIR...
# Makes one directory source of all vendor directories (each package once, by checksum) and a
# CARGO_HOME whose config replaces crates.io with it.
cargo_offline() {
  local scratch=$1 dir pkg sum i=0
  shift
  mkdir -p "$scratch/vendor" "$scratch/cargo-home"
  declare -A seen=()
  for dir in "$@"; do
    for pkg in "$dir"/*/; do
      pkg=${pkg%/}
      sum=$(grep -o '"package":"[0-9a-f]*"' "$pkg/.cargo-checksum.json")
      [ -z "${seen[$sum]-}" ] || continue
      seen[$sum]=1
      # Named by position, not by store path, so no store hash reaches the built files.
      ln -s "$pkg" "$scratch/vendor/$i-$(basename "$pkg")"
    done
    i=$((i + 1))
  done
  export CARGO_HOME=$scratch/cargo-home
  cat >"$CARGO_HOME/config.toml" <<TOML
[source.crates-io]
replace-with = "vendored"
[source.vendored]
directory = "$scratch/vendor"
[net]
offline = true
TOML
}
