# The tools every build here uses, taken from `pkgs`: real nixpkgs, or the host stand-in in
# ./hostpkgs, whose attributes have the same names. Nothing else in nix/ looks at `pkgs`.
pkgs:
let
  bin = drvs: builtins.concatStringsSep ":" (map (d: "${d}/bin") drvs);
in
{
  # pkgs/shells/bash/5.nix
  bash = "${pkgs.bash}/bin/bash";
  # coreutils: pkgs/tools/misc/coreutils; gawk: pkgs/tools/text/gawk; gnugrep: pkgs/tools/text/gnugrep;
  # time (GNU time): pkgs/by-name/ti/time; wasmtime: pkgs/by-name/wa/wasmtime
  shardPath = bin [
    pkgs.coreutils
    pkgs.gawk
    pkgs.gnugrep
    pkgs.time
    pkgs.wasmtime
  ];
  # cargo, rustc: pkgs/development/compilers/rust/{cargo,rustc}.nix; lld (bin/wasm-ld):
  # pkgs/development/compilers/llvm/common/lld
  buildPath = bin [
    pkgs.coreutils
    pkgs.cargo
    pkgs.rustc
    pkgs.lld
    pkgs.wasmtime
  ];
  # The standard library sources (`library/`) for -Zbuild-std: pkgs/development/compilers/rust/rust-lib-src.nix,
  # exposed by make-rust-platform.nix as rustPlatform.rustLibSrc.
  rustLibSrc = "${pkgs.rustPlatform.rustLibSrc}";
}
