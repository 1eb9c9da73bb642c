# Unpacks downloaded .crate files into a cargo vendor directory ($out/<name>-<version>, each with
# the .cargo-checksum.json cargo expects of a directory source).
# Environment: crates (lines of "<dir name> <sha256> <path to .crate>"), out.
set -euo pipefail
mkdir -p "$out"
while read -r dir checksum crate; do
  [ -n "$dir" ] || continue
  mkdir "$out/$dir"
  tar -xzf "$crate" -C "$out/$dir" --strip-components=1
  printf '{"files":{},"package":"%s"}\n' "$checksum" >"$out/$dir/.cargo-checksum.json"
done <<<"$crates"
