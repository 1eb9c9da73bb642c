# `nix develop`: the tools of the variant builds (both suites), the shards, the CLI and the
# linters on PATH.
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
    toolchain.tommathPath
    toolchain.motokoBuildPath
  ];
  RUSTC_BOOTSTRAP = "1";
  args = ["-c" "echo 'use: nix develop' >$out"];
}
