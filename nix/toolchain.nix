# The tools every build here uses, taken from `pkgs`: real nixpkgs, or the strict stand-in in
# ./hostpkgs, whose attributes have the same names and hold the same programs. Nothing else in
# nix/ looks at `pkgs`. Each attribute names, beside it, the nixpkgs file that defines it.
pkgs: let
  bin = drvs: builtins.concatStringsSep ":" (map (d: "${d}/bin") drvs);
  # rustc.llvmPackages.lld: wasm-ld of the LLVM that rustc itself is built with;
  # pkgs/development/compilers/rust/rustc.nix passes `llvmPackages` through, and
  # pkgs/build-support/rust/rustc-wrapper (what `pkgs.rustc` is) passes it on; lld itself is
  # pkgs/development/compilers/llvm/common/lld.
  inherit (pkgs.rustc.llvmPackages) lld;
in {
  # pkgs/shells/bash/5.nix (bin/bash and bin/sh)
  bash = "${pkgs.bash}/bin/bash";

  # coreutils: pkgs/tools/misc/coreutils; gawk: pkgs/tools/text/gawk; gnugrep:
  # pkgs/tools/text/gnugrep; time (GNU time): pkgs/by-name/ti/time; wasmtime: pkgs/by-name/wa/wasmtime
  shardPath = bin [pkgs.coreutils pkgs.gawk pkgs.gnugrep pkgs.time pkgs.wasmtime];

  # The wasm builds: cargo, rustc (pkgs/development/compilers/rust/{cargo,rustc}.nix; `rustc` is
  # the wrapper of pkgs/build-support/rust/rustc-wrapper), wasm-ld, wasmtime to precompile, and
  # a C compiler (stdenv.cc: pkgs/stdenv/generic with pkgs/build-support/cc-wrapper), with
  # which cargo links the build scripts of the standard library's crates for the build machine.
  buildPath = bin [pkgs.coreutils pkgs.gnugrep pkgs.cargo pkgs.rustc lld pkgs.stdenv.cc pkgs.wasmtime];

  # Native Rust builds (the rts-shards CLI, its tests and lints): cargo, rustc, clippy
  # (pkgs/development/compilers/rust/clippy.nix), the C compiler as linker, wasmtime for the
  # CLI's tests (which run shards through nix/run-shard.sh, with GNU time for peak memory), and
  # bash, which the CLI and its tests run as `sh` and `bash`.
  rustPath = bin [pkgs.bash pkgs.coreutils pkgs.gnugrep pkgs.gawk pkgs.time pkgs.cargo pkgs.rustc pkgs.clippy pkgs.stdenv.cc pkgs.wasmtime];

  # alejandra: pkgs/by-name/al/alejandra; deadnix: pkgs/by-name/de/deadnix;
  # statix: pkgs/by-name/st/statix (the stand-in has it only where tools/setup.sh could build it)
  lintPath = bin ([pkgs.coreutils pkgs.alejandra pkgs.deadnix]
    ++ (
      if pkgs ? statix
      then [pkgs.statix]
      else []
    ));
  inherit (pkgs) alejandra;

  # gnutar: pkgs/tools/archivers/gnutar; gzip: pkgs/tools/compression/gzip; xz:
  # pkgs/tools/compression/xz; gawk and gnugrep to read library/Cargo.lock
  unpackPath = bin [pkgs.coreutils pkgs.gnutar pkgs.gzip pkgs.xz pkgs.gawk pkgs.gnugrep];

  # The C side of the Motoko suite (./motoko): Motoko's rts/Makefile with make
  # (gnumake: pkgs/development/tools/build-managers/gnumake) and bash, the compiler without
  # cc-wrapper (llvmPackages.clang-unwrapped: pkgs/development/compilers/llvm/common/clang),
  # llvm-ar and llvm-ranlib (llvmPackages.llvm: pkgs/development/compilers/llvm/common/llvm),
  # bindgen (rust-bindgen: pkgs/development/tools/rust/bindgen/default.nix).
  tommathPath = bin [pkgs.bash pkgs.coreutils pkgs.gnugrep pkgs.gnumake pkgs.llvmPackages.clang-unwrapped pkgs.llvmPackages.llvm pkgs.rust-bindgen];
  # The clang resource directory (lib/clang/<major>/: its builtin headers), the `lib` output.
  clangLib = pkgs.llvmPackages.clang-unwrapped.lib;
  # Motoko's test builds: the wasm builds' tools and patch (gnupatch: pkgs/tools/text/gnupatch),
  # which applies the shard entry points.
  motokoBuildPath = bin [pkgs.coreutils pkgs.gnugrep pkgs.gnupatch pkgs.cargo pkgs.rustc lld pkgs.stdenv.cc pkgs.wasmtime];
  # The WASI libc that std for wasm32-wasip1 links (lib/libc.a, lib/crt1-command.o):
  # pkgsCross.wasi32.wasilibc, pkgs/development/libraries/wasilibc/default.nix.
  wasiLibc = pkgs.pkgsCross.wasi32.wasilibc;

  # The Rust source tarball (rustc-<version>-src.tar.gz: library/ and vendor/): the `src` of
  # pkgs/development/compilers/rust/rustc.nix, which the wrapper passes through.
  rustcSrc = pkgs.rustc.src;
  rustcVersion = pkgs.rustc.version;
}
