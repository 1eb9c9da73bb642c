# The Nix files are formatted (alejandra), have no unused bindings (deadnix) and, where the
# package set has it, no anti-patterns (statix).
{
  system,
  toolchain,
  nixSrc,
}:
builtins.derivation {
  name = "nix-lint";
  inherit system;
  builder = toolchain.bash;
  PATH = toolchain.lintPath;
  src = nixSrc;
  args = [
    ./builder.sh
    "-c"
    ''
      set -euo pipefail
      cd "$src"
      alejandra --check .
      deadnix --fail .
      if command -v statix >/dev/null; then
        statix check .
      else
        echo "statix is not in this package set; skipped"
      fi
      touch "$out"
    ''
  ];
}
