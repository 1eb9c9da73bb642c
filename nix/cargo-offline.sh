# Sourced by the cargo builds in nix/: points cargo at vendored sources and turns the network off.
# Usage: cargo_offline SCRATCH_DIR VENDOR_DIR...
# Makes one directory source of all vendor directories (each package once, by checksum) and a
# CARGO_HOME whose config replaces crates.io with it.
cargo_offline() {
  local scratch=$1 dir pkg sum
  shift
  mkdir -p "$scratch/vendor" "$scratch/cargo-home"
  declare -A seen=()
  for dir in "$@"; do
    for pkg in "$dir"/*/; do
      pkg=${pkg%/}
      sum=$(grep -o '"package":"[0-9a-f]*"' "$pkg/.cargo-checksum.json")
      [ -z "${seen[$sum]-}" ] || continue
      seen[$sum]=1
      ln -s "$pkg" "$scratch/vendor/$(basename "$dir")-$(basename "$pkg")"
    done
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
