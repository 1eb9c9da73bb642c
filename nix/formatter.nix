# `nix fmt`: alejandra, as a package with bin/alejandra.
{
  system,
  toolchain,
}:
builtins.derivation {
  name = "alejandra-formatter";
  inherit system;
  builder = toolchain.bash;
  PATH = toolchain.shardPath;
  alejandra = "${toolchain.alejandra}/bin/alejandra";
  args = [
    ./builder.sh
    "-c"
    ''
      mkdir -p "$out/bin"
      printf '#!%s\nexec %s "$@"\n' "$BASH" "$alejandra" >"$out/bin/alejandra"
      chmod +x "$out/bin/alejandra"
    ''
  ];
}
