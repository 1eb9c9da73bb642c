#!/usr/bin/env bash
# Installs what the suite needs to build through the stand-in for nixpkgs (nix/hostpkgs) on a
# Debian 12 machine, skipping what is already there, and records the versions found:
#   - Debian packages: Nix 2.8 (nix-bin), the Rust toolchain for wasm and for the CLI
#     (rustc-web, rust-web-src, rust-web-clippy, lld-22), gcc/g++/binutils, GNU time, gawk, and for
#     the Motoko suite clang-22, llvm-22 (llvm-ar, llvm-ranlib), bindgen, wasi-libc, make, patch;
#   - wasmtime-cli (cargo install, pinned, into /opt/rts-shards/wasmtime);
#   - the Rust source tarball laid out like nixpkgs' `rustc.src` (library/ and vendor/);
#   - the Nix linters as nixpkgs has them: alejandra 4.0.0 and statix 0.5.8 from their sources in
#     ../shared/third_party (statix is left out, and nix-lint says so, where that folder is
#     missing), deadnix from crates.io;
#   - nix/hostpkgs/host.json: the version of every stand-in attribute on this machine.
# The only machine-wide Nix setting it touches is `experimental-features` (flakes); everything
# else the stand-in needs (sandbox, its paths, no substituters) is passed per command by
# tools/common.sh. Safe to run again: every step checks first. Root is needed only to install.
set -euo pipefail

WASMTIME_VERSION=48.0.8
ALEJANDRA_VERSION=4.0.0 # pkgs/by-name/al/alejandra
STATIX_VERSION=0.5.8    # pkgs/by-name/st/statix
DEADNIX_VERSION=1.3.1
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
THIRD_PARTY=${RTS_SHARDS_THIRD_PARTY:-$ROOT/../shared/third_party}
PREFIX=/opt/rts-shards
LINT=$PREFIX/nix-lint

log() { printf 'setup: %s\n' "$*" >&2; }
die() {
  printf 'setup: error: %s\n' "$*" >&2
  exit 1
}
need_root() {
  [ "$(id -u)" -eq 0 ] || die "$1 needs root (run tools/setup.sh as root once)"
}

command -v dpkg-query >/dev/null || die "needs a Debian-like system (dpkg, apt-get)"

# --- Debian packages --------------------------------------------------------------------
want=(rustc-web cargo-web rust-web-src rust-web-clippy lld-22 gcc g++ binutils time gawk
  clang-22 llvm-22 bindgen wasi-libc make patch)
# A Nix that is already here (NixOS, the official installer) is used as it is.
command -v nix >/dev/null || want+=(nix-bin)
missing=()
for p in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  need_root "installing ${missing[*]}"
  log "installing ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
else
  log "Debian packages present: ${want[*]}"
fi
/usr/bin/rustc --version | grep -q '^rustc 1\.9[6-9]\|^rustc 1\.[1-9][0-9][0-9]' ||
  die "Debian rustc is $(/usr/bin/rustc --version); need >= 1.96 (apt-get update?)"

# --- Nix: flakes on, nothing else changed ---------------------------------------------------
conf=/etc/nix/nix.conf
if ! grep -qE '^[[:space:]]*(extra-)?experimental-features[[:space:]]*=.*flakes' "$conf" 2>/dev/null; then
  need_root "enabling flakes in $conf"
  mkdir -p /etc/nix
  printf '%s\n' "experimental-features = nix-command flakes" >>"$conf"
  log "$conf: experimental-features = nix-command flakes"
fi
nix --version >/dev/null || die "nix does not run"

# Tools built from crates.io use the machine's rustup cargo when there is one (the crates' MSRV
# was checked against it), else Debian's.
cargo_for_tools=$(command -v cargo || echo /usr/bin/cargo)
install_into() { # prefix, then `cargo install` arguments
  local prefix=$1 tmp
  shift
  need_root "installing into $prefix"
  tmp=$(mktemp -d)
  "$cargo_for_tools" install --locked --quiet --root "$tmp/root" --target-dir "$tmp/target" "$@"
  mkdir -p "$prefix/bin"
  mv -f "$tmp"/root/bin/* "$prefix/bin/"
  rm -rf "$tmp"
}
version_of() { # program: its version, the first x.y.z in its --version line
  "$1" --version 2>/dev/null | head -n 1 | grep -oE '[0-9]+\.[0-9]+\.[0-9]+' | head -n 1
}

# --- wasmtime ---------------------------------------------------------------------------
if [ "$(version_of "$PREFIX/wasmtime/bin/wasmtime")" = "$WASMTIME_VERSION" ]; then
  log "wasmtime $WASMTIME_VERSION present"
else
  log "building wasmtime-cli $WASMTIME_VERSION with $cargo_for_tools (takes ~10 minutes)"
  install_into "$PREFIX/wasmtime" "wasmtime-cli@$WASMTIME_VERSION"
fi

# --- Rust sources for -Zbuild-std, with the standard library's dependencies vendored ----------
# Packed reproducibly (sorted, fixed times and owners), so the same Debian package gives the
# same tarball.
rust_src=$PREFIX/rustc-src.tar.gz
rust_src_stamp="$(dpkg-query -W -f='${Version}' rust-web-src) $(sha256sum /usr/lib/rustlib/src/rust/library/Cargo.lock | cut -d' ' -f1)"
if [ -f "$rust_src" ] && [ "$(cat "$rust_src.stamp" 2>/dev/null)" = "$rust_src_stamp" ]; then
  log "Rust source tarball present: $rust_src"
else
  need_root "writing $rust_src"
  log "packing the Rust library sources and their vendored dependencies into $rust_src"
  tmp=$(mktemp -d)
  src=rustc-$(version_of /usr/bin/rustc)-src
  mkdir -p "$tmp/$src"
  cp -r /usr/lib/rustlib/src/rust/library "$tmp/$src/library"
  CARGO_HOME=$tmp/cargo-home /usr/bin/cargo vendor --quiet --locked --versioned-dirs \
    --manifest-path "$tmp/$src/library/Cargo.toml" "$tmp/$src/vendor" >/dev/null
  tar -C "$tmp" --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -cf - "$src" |
    gzip -n >"$tmp/src.tar.gz"
  mkdir -p "$PREFIX"
  mv "$tmp/src.tar.gz" "$rust_src"
  printf '%s\n' "$rust_src_stamp" >"$rust_src.stamp"
  rm -rf "$tmp"
fi

# --- Nix linters -----------------------------------------------------------------------
if [ "$(version_of "$LINT/bin/alejandra")" = "$ALEJANDRA_VERSION" ]; then
  log "alejandra $ALEJANDRA_VERSION present"
elif [ -d "$THIRD_PARTY/alejandra-$ALEJANDRA_VERSION" ]; then
  log "building alejandra $ALEJANDRA_VERSION from $THIRD_PARTY"
  install_into "$LINT" --path "$THIRD_PARTY/alejandra-$ALEJANDRA_VERSION/src/alejandra_cli"
else
  die "alejandra $ALEJANDRA_VERSION is not installed and its source is not in $THIRD_PARTY (crates.io has only the 3.x library)"
fi
if [ "$(version_of "$LINT/bin/statix")" = "$STATIX_VERSION" ]; then
  log "statix $STATIX_VERSION present"
elif [ -d "$THIRD_PARTY/statix-$STATIX_VERSION" ]; then
  log "building statix $STATIX_VERSION from $THIRD_PARTY"
  install_into "$LINT" --path "$THIRD_PARTY/statix-$STATIX_VERSION/bin" --features json
else
  log "statix: no source in $THIRD_PARTY and not on crates.io; the stand-in has no statix and nix-lint skips it"
fi
if [ "$(version_of "$LINT/bin/deadnix")" = "$DEADNIX_VERSION" ]; then
  log "deadnix $DEADNIX_VERSION present"
else
  log "building deadnix $DEADNIX_VERSION"
  install_into "$LINT" "deadnix@$DEADNIX_VERSION"
fi
# Builds run as the nixbld users, who must read what the stand-in links to.
if [ -n "$(find "$PREFIX" ! -perm -o+r -print -quit)" ]; then
  need_root "making $PREFIX readable"
  chmod -R a+rX "$PREFIX"
fi

# --- Offline copies of the flake inputs that are sources (Motoko, libtommath) -------------
# Kept where tools/nix-flags.sh looks for them, so that every checkout on this machine finds them.
# A source packed as GitHub packs it (<input>-<rev:0:8>.tar.gz: one top folder, symlinks kept)
# is unpacked, so that the copy has the locked NAR hash and the store paths of a download; a
# plain folder is copied as it is. A kept copy whose hash is not the locked one is replaced when
# a tarball is at hand.
# shellcheck source=tools/nix-flags.sh
source "$ROOT/tools/nix-flags.sh"
nar_of() { nix --extra-experimental-features nix-command hash path "$1"; }
while read -r name rev nar; do
  dir=$name-${rev:0:8}
  kept=$RTS_THIRD_PARTY_KEPT/$dir
  if [ -d "$kept" ] && { [ ! -f "$THIRD_PARTY/$dir.tar.gz" ] || [ "$(nar_of "$kept")" = "$nar" ]; }; then
    log "$dir present in $RTS_THIRD_PARTY_KEPT"
    continue
  fi
  if [ -f "$THIRD_PARTY/$dir.tar.gz" ]; then
    need_root "unpacking $dir.tar.gz into $RTS_THIRD_PARTY_KEPT"
    mkdir -p "$RTS_THIRD_PARTY_KEPT"
    rm -rf "$kept.tmp"
    mkdir "$kept.tmp"
    tar -xzf "$THIRD_PARTY/$dir.tar.gz" -C "$kept.tmp" --strip-components=1 --no-same-owner
    have=$(nar_of "$kept.tmp")
    [ "$have" = "$nar" ] || {
      rm -rf "$kept.tmp"
      die "$THIRD_PARTY/$dir.tar.gz unpacks to NAR hash $have, but flake.lock locks $name at $nar"
    }
  elif [ -d "$THIRD_PARTY/$dir" ]; then
    need_root "copying $dir into $RTS_THIRD_PARTY_KEPT"
    mkdir -p "$RTS_THIRD_PARTY_KEPT"
    rm -rf "$kept.tmp"
    cp -a "$THIRD_PARTY/$dir" "$kept.tmp"
  else
    log "no copy of flake input $dir here (the Motoko suite needs the network then)"
    continue
  fi
  chmod -R a+rX "$kept.tmp"
  rm -rf "$kept"
  mv "$kept.tmp" "$kept"
  log "kept $dir in $RTS_THIRD_PARTY_KEPT"
done < <(rts_third_party_inputs)

# --- The versions the stand-in records ----------------------------------------------------
# Store path names allow [A-Za-z0-9+._?=-]; Debian versions may hold ':' and '~'.
name_safe() { tr ':~' '__'; }
entries=()
while read -r attr kind what; do
  case $kind in
    deb) v=$(dpkg-query -W -f='${Version}' "$what" | name_safe) ;;
    program)
      [ -x "$what" ] || continue # an optional tool that is not here
      v=$(version_of "$what")
      ;;
  esac
  entries+=("\"$attr\": \"$v\"")
done < <(nix --extra-experimental-features nix-command eval --raw -f "$ROOT/nix/hostpkgs/programs.nix" \
  --apply 't: builtins.concatStringsSep "" (map (a: let e = t.${a}; in "${a} ${if e ? deb then "deb ${e.deb}" else "program ${e.programs.${e.version}}"}\n") (builtins.attrNames t))')
host_json=$ROOT/nix/hostpkgs/host.json
new=$(
  printf '{\n  "rustSrcHash": "%s",\n  "versions": {\n' "$(sha256sum "$rust_src" | cut -d' ' -f1)"
  (IFS=$'\n' && printf '%s\n' "${entries[*]}") | sed 's/^/    /; $!s/$/,/'
  printf '  }\n}\n'
)
if [ "$(cat "$host_json" 2>/dev/null)" != "$new" ]; then
  printf '%s\n' "$new" >"$host_json.tmp"
  mv "$host_json.tmp" "$host_json"
  log "wrote $host_json"
fi
log "done"
