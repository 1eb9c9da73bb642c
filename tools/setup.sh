#!/usr/bin/env bash
# Installs what the suite needs on a Debian 12 machine, skipping what is already there:
#   - GNU time (peak memory of a shard),
#   - Nix 2.8 (Debian nix-bin) with flakes on and no unreachable substituters,
#   - the Rust toolchain for wasm and for the CLI in Nix (Debian rustc-web, rust-web-src,
#     rust-web-clippy, lld-22; wasm is built with -Zbuild-std),
#   - wasmtime-cli (cargo install, pinned, into a fixed prefix),
#   - a Rust source tarball laid out like nixpkgs' `rustc.src` (library/ and vendor/), so the
#     host stand-in for nixpkgs builds offline exactly as the nixpkgs path does,
#   - the Nix linters alejandra and deadnix (cargo install; statix is not on crates.io).
# Safe to run again: every step checks first. Needs root (apt-get, /etc/nix, /opt).
set -euo pipefail

WASMTIME_VERSION=48.0.8
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PREFIX=/opt/rts-shards
WASMTIME_PREFIX=$PREFIX/wasmtime

log() { printf 'setup: %s\n' "$*" >&2; }
die() { printf 'setup: error: %s\n' "$*" >&2; exit 1; }

[ "$(id -u)" -eq 0 ] || die "run as root (installs Debian packages and writes /etc/nix/nix.conf)"
command -v apt-get >/dev/null || die "needs a Debian-like system with apt-get"

# --- Debian packages --------------------------------------------------------------------
want=(nix-bin rustc-web rust-web-src rust-web-clippy lld-22 time)
missing=()
for p in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  log "installing ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
else
  log "Debian packages present: ${want[*]}"
fi
[ -x /usr/bin/rust-lld ] || die "/usr/bin/rust-lld missing after installing lld-22"
/usr/bin/rustc --version | grep -q '^rustc 1\.9[6-9]\|^rustc 1\.[1-9][0-9][0-9]' ||
  die "Debian rustc is $(/usr/bin/rustc --version); need >= 1.96 (apt-get update?)"

# --- Nix configuration ------------------------------------------------------------------
conf=/etc/nix/nix.conf
mkdir -p /etc/nix
touch "$conf"
set_conf() { # key value: replace or append one setting
  local key=$1 value=$2 tmp
  if grep -qE "^[[:space:]]*$key[[:space:]]*=" "$conf"; then
    grep -qxF "$key = $value" "$conf" && return 0
    tmp=$(mktemp "$conf.XXXXXX")
    sed -E "s|^[[:space:]]*$key[[:space:]]*=.*|$key = $value|" "$conf" >"$tmp"
    mv "$tmp" "$conf"
  else
    printf '%s = %s\n' "$key" "$value" >>"$conf"
  fi
  log "nix.conf: $key = $value"
}
set_conf experimental-features "nix-command flakes"
set_conf substituters ""
# The host stand-in for nixpkgs points at tools outside the store.
set_conf sandbox "false"
nix --version >/dev/null || die "nix does not run"

# Tools built from crates.io use the machine's rustup cargo when there is one (the crates' MSRV
# was checked against it), else Debian's.
cargo_for_tools=$(command -v cargo || echo /usr/bin/cargo)

# --- wasmtime ---------------------------------------------------------------------------
if "$WASMTIME_PREFIX/bin/wasmtime" --version 2>/dev/null | grep -q "^wasmtime $WASMTIME_VERSION"; then
  log "wasmtime $WASMTIME_VERSION present in $WASMTIME_PREFIX"
else
  # rustup's stable cargo builds wasmtime (Debian's rustc-web is fine too, but rustup's is the
  # one the crates' MSRV was checked against). About ten minutes on two cores.
  log "building wasmtime-cli $WASMTIME_VERSION with $cargo_for_tools (takes ~10 minutes)"
  tmp=$(mktemp -d)
  "$cargo_for_tools" install "wasmtime-cli@$WASMTIME_VERSION" --locked --root "$tmp/root" --target-dir "$tmp/target" --quiet
  mkdir -p "$(dirname "$WASMTIME_PREFIX")"
  rm -rf "$WASMTIME_PREFIX.old"
  [ -e "$WASMTIME_PREFIX" ] && mv "$WASMTIME_PREFIX" "$WASMTIME_PREFIX.old"
  mv "$tmp/root" "$WASMTIME_PREFIX"
  rm -rf "$tmp" "$WASMTIME_PREFIX.old"
  "$WASMTIME_PREFIX/bin/wasmtime" --version
fi
# --- Rust sources for -Zbuild-std, with the standard library's dependencies vendored ----------
rust_src=$PREFIX/rustc-src.tar.gz
rust_src_stamp="$(/usr/bin/rustc --version) $(sha256sum /usr/lib/rustlib/src/rust/library/Cargo.lock | cut -d' ' -f1)"
if [ -f "$rust_src" ] && [ "$(cat "$rust_src.stamp" 2>/dev/null)" = "$rust_src_stamp" ]; then
  log "Rust source tarball present: $rust_src"
else
  log "packing the Rust library sources and their vendored dependencies into $rust_src"
  tmp=$(mktemp -d)
  mkdir -p "$tmp/rustc-src"
  cp -r /usr/lib/rustlib/src/rust/library "$tmp/rustc-src/library"
  CARGO_HOME=$tmp/cargo-home /usr/bin/cargo vendor --quiet --locked \
    --manifest-path "$tmp/rustc-src/library/Cargo.toml" "$tmp/rustc-src/vendor" >/dev/null
  tar -C "$tmp" -czf "$tmp/rustc-src.tar.gz" rustc-src
  mkdir -p "$PREFIX"
  mv "$tmp/rustc-src.tar.gz" "$rust_src"
  printf '%s\n' "$rust_src_stamp" >"$rust_src.stamp"
  rm -rf "$tmp"
fi

# --- Nix linters -----------------------------------------------------------------------
# crates.io has alejandra only as a library: nix/hostpkgs/alejandra is its command line.
if [ -x "$PREFIX/nix-lint/bin/alejandra" ]; then
  log "alejandra present"
else
  log "building alejandra (nix/hostpkgs/alejandra)"
  "$cargo_for_tools" install --locked --quiet --path "$ROOT/nix/hostpkgs/alejandra" \
    --root "$PREFIX/nix-lint" --target-dir "$(mktemp -d)"
fi
if [ -x "$PREFIX/nix-lint/bin/deadnix" ]; then
  log "deadnix present"
else
  log "building deadnix 1.3.1"
  "$cargo_for_tools" install --locked --quiet deadnix@1.3.1 --root "$PREFIX/nix-lint"
fi
log "done"
