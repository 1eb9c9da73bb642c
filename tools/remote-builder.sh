#!/usr/bin/env bash
# Shows shards running on a Nix remote builder: a second Nix store, reached over ssh on the
# loopback address, the way a team's build machines (or Hydra's) would be used.
#
# The "remote" machine is an sshd on 127.0.0.1:2222 running in its own mount namespace, where
# /nix is a separate directory (/var/lib/rts-shards/builder/nix): a second store with its own
# database. Shards built through `--builders` run there and their outputs land in both stores.
#
# Usage: tools/remote-builder.sh [NUMBER_OF_SHARDS]   (needs root; installs openssh-server)
# For real machines: put them in /etc/nix/machines (or pass --builders), e.g.
#   ssh://builder1.example x86_64-linux /root/.ssh/id_builder 8 1 - - -
# and run `nix flake check` as usual; Hydra reads the same machines file.
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
cd "$ROOT"

count=${1:-6}
state=/var/lib/rts-shards/builder
key=/root/.ssh/rts_builder
port=2222

step "openssh-server and a key for the builder"
if [ ! -x /usr/sbin/sshd ]; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openssh-server >/dev/null
fi
mkdir -p /root/.ssh /run/sshd "$state/nix"
chmod 700 /root/.ssh
[ -f "$key" ] || ssh-keygen -q -t ed25519 -N '' -f "$key"
grep -qxF "$(cat "$key.pub")" /root/.ssh/authorized_keys 2>/dev/null || cat "$key.pub" >>/root/.ssh/authorized_keys
ssh-keygen -A >/dev/null
if ! grep -q '^Host rts-builder$' /root/.ssh/config 2>/dev/null; then
  cat >>/root/.ssh/config <<CONF
Host rts-builder
  HostName 127.0.0.1
  Port $port
  User root
  IdentityFile $key
  StrictHostKeyChecking accept-new
  UserKnownHostsFile /root/.ssh/rts_builder_known_hosts
CONF
fi

step "the builder: sshd on 127.0.0.1:$port with /nix = $state/nix"
unshare --mount --propagation private -- bash -c \
  "mount --bind '$state/nix' /nix && exec /usr/sbin/sshd -D -p $port -o ListenAddress=127.0.0.1 -o PermitRootLogin=prohibit-password" &
sshd_pid=$!
trap 'kill $sshd_pid 2>/dev/null || true' EXIT
for _ in $(seq 50); do
  ssh -o BatchMode=yes rts-builder true 2>/dev/null && break
  sleep 0.2
done
ssh -o BatchMode=yes rts-builder 'nix-store --version && ls /nix'

step "$count fresh shards (new seeds, so nothing is cached), built only by the remote builder"
seed=$(date +%s)
modules=$(nix eval --raw --impure --expr \
  "builtins.concatStringsSep \" \" (map (s: s.module) (builtins.filter (s: s.variant == \"inc\") (builtins.fromJSON (builtins.readFile ./nix/shards.json)).shards))")
expr="let o = import ./nix/standin.nix; in ["
i=0
for m in $modules; do
  [ $i -lt "$count" ] || break
  expr+=" (o.lib.shard { variant = \"inc\"; module = \"$m\"; seed = $((seed + i)); })"
  i=$((i + 1))
done
expr+=" ]"
links=$(mktemp -d)
start=$(date +%s.%N)
nix build -L --impure --expr "$expr" --out-link "$links/r" \
  --max-jobs 0 --builders "ssh://rts-builder x86_64-linux $key 2 1 - - -"
echo "built in $(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }') s"

step "the outputs are in the remote store (and were copied back)"
for r in "$links"/r*; do
  out=$(readlink -f "$r")
  remote=$(ssh -o BatchMode=yes rts-builder "nix-store --query --hash $out" 2>/dev/null || echo missing)
  printf '%s\n  remote store: %s\n  result: %s\n' "$out" "$remote" "$(head -c 200 "$out/result.json")"
  [ "$remote" != missing ]
done
rm -rf "$links"
echo "remote builder run: ok"
