# The tools every build here uses, taken from `pkgs`: real nixpkgs, or the host stand-in in
# ./hostpkgs, whose attributes have the same names. Nothing else in nix/ looks at `pkgs`.
# Where each attribute is defined in nixpkgs is noted beside it.
pkgs: let
  bin = drvs: builtins.concatStringsSep ":" (map (d: "${d}/bin") drvs);
in {
  # pkgs/shells/bash/5.nix
  bash = "${pkgs.bash}/bin/bash";

  # coreutils: pkgs/tools/misc/coreutils; gawk: pkgs/tools/text/gawk; gnugrep:
  # pkgs/tools/text/gnugrep; time (GNU time): pkgs/by-name/ti/time; wasmtime: pkgs/by-name/wa/wasmtime
  shardPath = bin [pkgs.coreutils pkgs.gawk pkgs.gnugrep pkgs.time pkgs.wasmtime];

  # cargo, rustc: pkgs/development/compilers/rust/{cargo,rustc}.nix (rustc is the wrapper of
  # pkgs/build-support/rust/rustc-wrapper); lld (bin/wasm-ld): pkgs/development/compilers/llvm/common/lld
  buildPath = bin [pkgs.coreutils pkgs.gnugrep pkgs.cargo pkgs.rustc pkgs.lld pkgs.wasmtime];

  # Native Rust builds (the rts-shards CLI): cargo, rustc, clippy
  # (pkgs/development/compilers/rust/clippy.nix) and a C compiler as linker (stdenv.cc:
  # pkgs/stdenv/generic, the wrapped compiler of pkgs/build-support/cc-wrapper).
  rustPath = bin [pkgs.coreutils pkgs.gnugrep pkgs.cargo pkgs.rustc pkgs.clippy pkgs.stdenv.cc pkgs.wasmtime];

  # alejandra: pkgs/by-name/al/alejandra; deadnix: pkgs/by-name/de/deadnix;
  # statix: pkgs/by-name/st/statix (absent from the host stand-in: not on crates.io)
  lintPath = bin ([pkgs.coreutils pkgs.alejandra pkgs.deadnix]
    ++ (
      if pkgs ? statix
      then [pkgs.statix]
      else []
    ));
  alejandra = pkgs.alejandra;

  # gnutar: pkgs/tools/archivers/gnutar; gzip: pkgs/tools/compression/gzip; xz: pkgs/tools/compression/xz
  unpackPath = bin [pkgs.coreutils pkgs.gnutar pkgs.gzip pkgs.xz];

  # The Rust source tarball (rustc-<version>-src.tar.gz: library/ and vendor/), passed through
  # by the rustc wrapper as `rustc.src`.
  rustcSrc = pkgs.rustc.src;
  rustcVersion = pkgs.rustc.version;
}
