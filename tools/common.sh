# Shared by tools/suite.sh and tools/test.sh: the repository root, the tool paths, and the Nix
# flags that replace nixpkgs by the host stand-in when nixpkgs cannot be fetched.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
WASMTIME_PREFIX=${WASMTIME_PREFIX:-/opt/rts-shards/wasmtime}
export PATH="$WASMTIME_PREFIX/bin:$PATH"

# RTS_SHARDS_NIXPKGS=real uses the flake's locked nixpkgs (machines with the binary cache);
# the default `host` builds from the tools tools/setup.sh installed.
NIX_FLAGS=(--print-build-logs)
if [ "${RTS_SHARDS_NIXPKGS:-host}" = host ]; then
  NIX_FLAGS+=(--override-input nixpkgs "path:$ROOT/nix/hostpkgs")
fi

step() { printf '\n=== %s\n' "$*" >&2; }
