# `nix develop`: the tools of the variant builds, the shards, the CLI and the linters on PATH.
{
  system,
  toolchain,
}:
builtins.derivation {
  name = "rts-shards-dev";
  inherit system;
  builder = toolchain.bash;
  PATH = builtins.concatStringsSep ":" [
    toolchain.buildPath
    toolchain.rustPath
    toolchain.shardPath
    toolchain.unpackPath
    toolchain.lintPath
  ];
  RUSTC_BOOTSTRAP = "1";
  args = ["-c" "echo 'use: nix develop' >$out"];
}
