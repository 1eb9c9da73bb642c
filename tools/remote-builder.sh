#!/usr/bin/env bash
# Shows shards running on a Nix remote builder: a second Nix store, reached over ssh on the
# loopback address, the way a team's build machines (or Hydra's) would be used.
#
# The "remote" machine is an sshd on 127.0.0.1:2222 running in its own mount namespace, where
# /nix is a separate directory (/var/lib/rts-shards/builder/nix): a second store with its own
# database. Shards built through `--builders` run there and their outputs land in both stores.
#
# Usage: tools/remote-builder.sh [NUMBER_OF_SHARDS]   (needs root; installs openssh-server if
# missing, with no service of it started or enabled and without the host keys its install
# generates: tools/apt-install.sh; sshd runs only as this script's process)
# Keys and ssh configuration are made for the run in a temporary directory (used through
# `ssh -F` and NIX_SSHOPTS) and removed after it: ~/.ssh and the host keys in /etc/ssh are not
# touched.
# For real machines: put them in /etc/nix/machines (or pass --builders), e.g.
#   ssh://builder1.example x86_64-linux /root/.ssh/id_builder 8 1 - - -
# and run `nix flake check` as usual; Hydra reads the same machines file.
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
cd "$ROOT"

count=${1:-6}
state=/var/lib/rts-shards/builder
port=2222

step "openssh-server, and an ssh configuration of this run's own"
if [ ! -x /usr/sbin/sshd ]; then
  # shellcheck source=tools/apt-install.sh
  source "$ROOT/tools/apt-install.sh"
  apt_install_no_services "ssh.service ssh.socket" "/etc/ssh/ssh_host_*" openssh-server
fi
# Everything ssh needs lives in a temporary directory removed on exit: the client key, the
# builder's host key, its authorized_keys and sshd_config, the client config and known_hosts.
# ~/.ssh and /etc/ssh are left as they were.
mkdir -p /run/sshd "$state/nix" # /run/sshd: sshd's privilege separation directory
# Under $state, not /tmp: sshd refuses an authorized_keys below a world-writable directory.
sshdir=$(mktemp -d "$state/ssh.XXXXXX")
chmod 700 "$sshdir"
key=$sshdir/id_builder
ssh-keygen -q -t ed25519 -N '' -C rts-builder -f "$key"
ssh-keygen -q -t ed25519 -N '' -C rts-builder-host -f "$sshdir/host_ed25519"
cp "$key.pub" "$sshdir/authorized_keys"
echo "[127.0.0.1]:$port $(cut -d' ' -f1,2 "$sshdir/host_ed25519.pub")" >"$sshdir/known_hosts"
cat >"$sshdir/sshd_config" <<CONF
Port $port
ListenAddress 127.0.0.1
HostKey $sshdir/host_ed25519
AuthorizedKeysFile $sshdir/authorized_keys
PidFile $sshdir/sshd.pid
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
CONF
cat >"$sshdir/config" <<CONF
Host rts-builder
  HostName 127.0.0.1
  Port $port
  User root
  IdentityFile $key
  IdentitiesOnly yes
  BatchMode yes
  StrictHostKeyChecking yes
  UserKnownHostsFile $sshdir/known_hosts
CONF
# Every ssh here, Nix's included, uses that configuration.
export NIX_SSHOPTS="-F $sshdir/config"
rssh() { ssh -F "$sshdir/config" rts-builder "$@"; }

rts_nix_mode
rts_nix_flags
# The builder's own Nix settings: this machine's, and with the stand-in its sandbox as well, so
# that remote builds are as strict as local ones (a remote `nix-store --serve` reads nix.conf, not
# our command line).
cp /etc/nix/nix.conf "$sshdir/nix.conf" 2>/dev/null || : >"$sshdir/nix.conf"
if [ "$NIX_MODE" = host ]; then
  printf 'sandbox = true\nextra-sandbox-paths = %s\n' \
    "$(nix eval "${NIX_OPTS[@]}" --raw "path:$ROOT/nix/hostpkgs#sandboxPaths")" >>"$sshdir/nix.conf"
fi

step "the builder: sshd on 127.0.0.1:$port with /nix = $state/nix"
unshare --mount --propagation private -- bash -c \
  "mount --bind '$state/nix' /nix && mount --bind '$sshdir/nix.conf' /etc/nix/nix.conf &&
   exec /usr/sbin/sshd -D -f '$sshdir/sshd_config'" &
sshd_pid=$!
links=""
cleanup() {
  kill "$sshd_pid" 2>/dev/null || true
  wait "$sshd_pid" 2>/dev/null || true
  rm -rf "$sshdir" ${links:+"$links"}
}
trap cleanup EXIT
for _ in $(seq 50); do
  rssh true 2>/dev/null && break
  sleep 0.2
done
rssh 'nix-store --version && ls /nix'

step "$count fresh shards (new seeds, so nothing is cached), built only by the remote builder"
seed=$(date +%s)
modules=$(nix eval --raw --impure --expr \
  "builtins.concatStringsSep \" \" (map (s: s.module) (builtins.filter (s: s.variant == \"inc\") (builtins.fromJSON (builtins.readFile ./nix/shards.json)).shards))")
if [ "$NIX_MODE" = host ]; then
  expr="let o = import ./nix/standin.nix; in ["
else
  expr="let o = (builtins.getFlake (toString ./.)).lib.\${builtins.currentSystem}; in ["
fi
i=0
for m in $modules; do
  [ $i -lt "$count" ] || break
  expr+=" (o.lib.shard { variant = \"inc\"; module = \"$m\"; seed = $((seed + i)); })"
  i=$((i + 1))
done
expr+=" ]"
links=$(mktemp -d)
start=$(date +%s.%N)
nix build "${NIX_OPTS[@]}" -L --impure --expr "$expr" --out-link "$links/r" \
  --max-jobs 0 --builders "ssh://rts-builder x86_64-linux $key 2 1 - - -"
echo "built in $(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }') s"

step "the outputs are in the remote store (and were copied back)"
for r in "$links"/r*; do
  out=$(readlink -f "$r")
  remote=$(rssh "nix-store --query --hash $out" 2>/dev/null || echo missing)
  printf '%s\n  remote store: %s\n  result: %s\n' "$out" "$remote" "$(head -c 200 "$out/result.json")"
  [ "$remote" != missing ]
done
echo "remote builder run: ok"
