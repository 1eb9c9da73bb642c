# The flags every Nix command of this project gets: sourced by tools/common.sh (NIX_OPTS,
# NIX_FLAGS, NIX_MODE), or run to print them, one per line, for other programs
# (`rts-shards bench`; `--opts` for the options without the flake input override). One definition of which nixpkgs is used and how.
#
# RTS_SHARDS_NIXPKGS=real: the flake's locked nixpkgs, Nix as configured on this machine.
# RTS_SHARDS_NIXPKGS=host: the strict stand-in nix/hostpkgs (tools/setup.sh installs its tools),
#   with, for this command only, the sandbox on, the host files the stand-in links to visible
#   in it (and nothing else of /usr/bin, /bin or /opt), and no substituters (none is reachable).
# Unset: `real` when the locked nixpkgs can be fetched, else `host`.
_rts_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

# Chooses NIX_MODE (real or host) and says why in NIX_MODE_WHY.
rts_nix_mode() {
  local rev
  case ${RTS_SHARDS_NIXPKGS:-} in
    real | host)
      NIX_MODE=$RTS_SHARDS_NIXPKGS
      NIX_MODE_WHY="RTS_SHARDS_NIXPKGS=$RTS_SHARDS_NIXPKGS"
      return
      ;;
    "") ;;
    *)
      echo "RTS_SHARDS_NIXPKGS must be real or host, not '$RTS_SHARDS_NIXPKGS'" >&2
      return 2
      ;;
  esac
  if ! command -v nix >/dev/null; then
    NIX_MODE=host
    NIX_MODE_WHY="no nix on PATH"
    return
  fi
  rev=$(nix --extra-experimental-features nix-command eval --impure --raw --expr \
    "(builtins.fromJSON (builtins.readFile $_rts_root/flake.lock)).nodes.nixpkgs.locked.rev") || return 2
  if timeout 120 nix --extra-experimental-features 'nix-command flakes' flake prefetch \
    "github:NixOS/nixpkgs/$rev" >/dev/null 2>&1; then
    NIX_MODE=real
    NIX_MODE_WHY="the locked nixpkgs ($rev) can be fetched"
  else
    NIX_MODE=host
    NIX_MODE_WHY="the locked nixpkgs ($rev) cannot be fetched from here"
  fi
  # Decided once: the scripts this one starts (remote builder, binary cache, ...) inherit it.
  export RTS_SHARDS_NIXPKGS=$NIX_MODE
}

# Sets NIX_OPTS (options for any nix command) and NIX_FLAGS (NIX_OPTS plus the flake input
# override and build logs) for NIX_MODE.
rts_nix_flags() {
  NIX_OPTS=(--extra-experimental-features 'nix-command flakes')
  if [ "$NIX_MODE" = host ]; then
    local paths
    paths=$(nix eval "${NIX_OPTS[@]}" --raw "path:$_rts_root/nix/hostpkgs#sandboxPaths") || return 2
    NIX_OPTS+=(--option sandbox true --option extra-sandbox-paths "$paths" --option substituters "")
  fi
  NIX_FLAGS=("${NIX_OPTS[@]}" --print-build-logs)
  if [ "$NIX_MODE" = host ]; then
    NIX_FLAGS+=(--override-input nixpkgs "path:$_rts_root/nix/hostpkgs")
    rts_third_party_overrides || return 2
  fi
}

# The non-flake GitHub inputs of flake.lock (Motoko's sources, libtommath), one per line:
# "<input> <rev> <narHash>".
rts_third_party_inputs() {
  nix eval --extra-experimental-features nix-command --raw --impure --expr "
    let lock = builtins.fromJSON (builtins.readFile $_rts_root/flake.lock); in
    builtins.concatStringsSep \"\" (map (n: let l = lock.nodes.\${n}.locked; in
      \"\${n} \${l.rev} \${l.narHash}\\n\")
      (builtins.filter (n: (lock.nodes.\${n}.flake or true) == false
        && lock.nodes.\${n}.locked.type == \"github\") (builtins.attrNames lock.nodes)))"
}

# Where the offline copy of a flake input is looked for, in order: $RTS_SHARDS_THIRD_PARTY,
# ../shared/third_party beside the repository, and where tools/setup.sh keeps the copies it
# found there (so that any checkout on the machine finds them).
RTS_THIRD_PARTY_KEPT=/opt/rts-shards/third_party
rts_third_party_dirs() {
  [ -z "${RTS_SHARDS_THIRD_PARTY:-}" ] || echo "$RTS_SHARDS_THIRD_PARTY"
  echo "$_rts_root/../shared/third_party"
  echo "$RTS_THIRD_PARTY_KEPT"
}

# Offline, each input comes from its copy, a folder named <input>-<first 8 digits of the locked
# rev>: the first one found whose NAR hash is the locked narHash (it has the store path a
# download would have), else the first one found, with a warning, since every derivation built
# from it then differs from the networked one.
rts_third_party_overrides() {
  local name rev nar dir copy first have
  while read -r name rev nar; do
    copy="" first=""
    while read -r dir; do
      [ -d "$dir/$name-${rev:0:8}" ] || continue
      dir=$(cd "$dir/$name-${rev:0:8}" && pwd)
      have=$(nix hash path "${NIX_OPTS[@]}" "$dir") || return 2
      if [ "$have" = "$nar" ]; then
        copy=$dir
        break
      fi
      [ -n "$first" ] || first="$dir $have"
    done < <(rts_third_party_dirs)
    if [ -z "$copy" ] && [ -n "$first" ]; then
      copy=${first% *}
      echo "nix-flags: warning: $copy has NAR hash ${first##* }, but flake.lock locks $name at" \
        "$nar; builds from it will not match builds from the download" >&2
    fi
    if [ -z "$copy" ]; then
      echo "nix-flags: no offline copy of flake input $name ($name-${rev:0:8} in" \
        "$(rts_third_party_dirs | paste -sd ' ')); Nix will try to download it" >&2
      continue
    fi
    NIX_FLAGS+=(--override-input "$name" "path:$copy")
  done < <(rts_third_party_inputs)
}

# Run as a program: prints NIX_FLAGS, or with --opts NIX_OPTS (for commands that take no flake,
# such as `nix build --impure --expr`), one per line.
if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  set -euo pipefail
  rts_nix_mode
  rts_nix_flags
  if [ "${1-}" = --opts ]; then
    printf '%s\n' "${NIX_OPTS[@]}"
  else
    printf '%s\n' "${NIX_FLAGS[@]}"
  fi
fi
