# The stand-in's package table: for each nixpkgs attribute used in ../, the programs its `bin/`
# holds in nixpkgs, each taken from one host file. `deb` names the Debian package whose version
# the attribute carries (tools/setup.sh installs it); for the tools tools/setup.sh builds into
# /opt/rts-shards, `version` names the program whose `--version` it records. One definition: the flake (./flake.nix) builds one store path per
# attribute from it, and ./sandbox-paths.nix lists the host files a sandboxed build may see.
let
  usrBin = names:
    builtins.listToAttrs (map (name: {
        inherit name;
        value = "/usr/bin/${name}";
      })
      names);
  lint = name: {${name} = "/opt/rts-shards/nix-lint/bin/${name}";};
in {
  # pkgs/shells/bash/5.nix: bin/bash and bin/sh
  bash = {
    deb = "bash";
    programs = usrBin ["bash"] // {sh = "/usr/bin/bash";};
  };
  # pkgs/tools/misc/coreutils: the GNU coreutils
  coreutils = {
    deb = "coreutils";
    programs = usrBin [
      "["
      "arch"
      "b2sum"
      "base32"
      "base64"
      "basename"
      "basenc"
      "cat"
      "chcon"
      "chgrp"
      "chmod"
      "chown"
      "cksum"
      "comm"
      "cp"
      "csplit"
      "cut"
      "date"
      "dd"
      "df"
      "dir"
      "dircolors"
      "dirname"
      "du"
      "echo"
      "env"
      "expand"
      "expr"
      "factor"
      "false"
      "fmt"
      "fold"
      "groups"
      "head"
      "hostid"
      "id"
      "install"
      "join"
      "link"
      "ln"
      "logname"
      "ls"
      "md5sum"
      "mkdir"
      "mkfifo"
      "mknod"
      "mktemp"
      "mv"
      "nice"
      "nl"
      "nohup"
      "nproc"
      "numfmt"
      "od"
      "paste"
      "pathchk"
      "pinky"
      "pr"
      "printenv"
      "printf"
      "ptx"
      "pwd"
      "readlink"
      "realpath"
      "rm"
      "rmdir"
      "runcon"
      "seq"
      "sha1sum"
      "sha224sum"
      "sha256sum"
      "sha384sum"
      "sha512sum"
      "shred"
      "shuf"
      "sleep"
      "sort"
      "split"
      "stat"
      "stdbuf"
      "stty"
      "sum"
      "sync"
      "tac"
      "tail"
      "tee"
      "test"
      "timeout"
      "touch"
      "tr"
      "true"
      "truncate"
      "tsort"
      "tty"
      "uname"
      "unexpand"
      "uniq"
      "unlink"
      "users"
      "vdir"
      "wc"
      "who"
      "whoami"
      "yes"
    ];
  };
  # pkgs/tools/text/gawk: bin/awk and bin/gawk
  gawk = {
    deb = "gawk";
    programs = {
      awk = "/usr/bin/gawk";
      gawk = "/usr/bin/gawk";
    };
  };
  # pkgs/tools/text/gnugrep
  gnugrep = {
    deb = "grep";
    programs = usrBin ["grep" "egrep" "fgrep"];
  };
  # pkgs/tools/archivers/gnutar
  gnutar = {
    deb = "tar";
    programs = usrBin ["tar"];
  };
  # pkgs/tools/compression/gzip
  gzip = {
    deb = "gzip";
    programs = usrBin ["gzip" "gunzip" "zcat"];
  };
  # pkgs/tools/compression/xz
  xz = {
    deb = "xz-utils";
    programs = usrBin ["xz" "unxz" "xzcat" "lzmainfo"];
  };
  # pkgs/by-name/ti/time (GNU time)
  time = {
    deb = "time";
    programs = usrBin ["time"];
  };
  # pkgs/development/compilers/rust/cargo.nix
  cargo = {
    deb = "cargo-web";
    programs = usrBin ["cargo"];
  };
  # pkgs/build-support/rust/rustc-wrapper (the wrapper of pkgs/development/compilers/rust/rustc.nix)
  rustc = {
    deb = "rustc-web";
    programs = usrBin ["rustc" "rustdoc"];
  };
  # pkgs/development/compilers/rust/clippy.nix
  clippy = {
    deb = "rust-web-clippy";
    programs = usrBin ["cargo-clippy" "clippy-driver"];
  };
  # stdenv.cc, pkgs/build-support/cc-wrapper: the C compiler, and every program of the
  # bintools wrapper (pkgs/build-support/bintools-wrapper), which it links into its bin/
  "stdenv.cc" = {
    deb = "gcc";
    programs =
      {
        cc = "/usr/bin/gcc";
        "c++" = "/usr/bin/g++";
      }
      // usrBin ["gcc" "g++" "cpp"]
      // usrBin ["ld" "ld.bfd" "as" "ar" "nm" "ranlib" "strip" "objcopy" "objdump" "readelf" "size" "strings" "addr2line" "c++filt"];
  };
  # rustc.llvmPackages.lld: pkgs/development/compilers/llvm/common/lld, of the LLVM that
  # pkgs/development/compilers/rust/rustc.nix passes through as `llvmPackages`
  "rustc.llvmPackages.lld" = {
    deb = "lld-22";
    programs = builtins.listToAttrs (map (name: {
      inherit name;
      value = "/usr/lib/llvm-22/bin/${name}";
    }) ["lld" "ld.lld" "wasm-ld"]);
  };
  # The C side of the Motoko suite (nix/motoko): libtommath compiled for wasm, its bindings.
  # pkgs/development/tools/build-managers/gnumake
  gnumake = {
    deb = "make";
    programs = usrBin ["make"];
  };
  # pkgs/tools/text/gnupatch
  gnupatch = {
    deb = "patch";
    programs = usrBin ["patch"];
  };
  # llvmPackages.clang-unwrapped: pkgs/development/compilers/llvm/common/clang (the compiler
  # without the cc-wrapper, so it knows no libc: what a wasm target wants)
  "llvmPackages.clang-unwrapped" = {
    deb = "clang-22";
    programs = builtins.listToAttrs (map (name: {
      inherit name;
      value = "/usr/lib/llvm-22/bin/${name}";
    }) ["clang" "clang++" "clang-cpp"]);
  };
  # Its `lib` output: lib/clang/<major>/, the compiler's resource directory (builtin headers)
  "llvmPackages.clang-unwrapped.lib" = {
    deb = "clang-22";
    programs = {};
    links."lib/clang/22" = "/usr/lib/llvm-22/lib/clang/22";
  };
  # llvmPackages.llvm: pkgs/development/compilers/llvm/common/llvm (llvm-ar, llvm-ranlib, ...)
  "llvmPackages.llvm" = {
    deb = "llvm-22";
    programs = builtins.listToAttrs (map (name: {
      inherit name;
      value = "/usr/lib/llvm-22/bin/${name}";
    }) ["llvm-ar" "llvm-ranlib" "llvm-nm" "llvm-objdump" "llvm-objcopy" "llvm-strip"]);
  };
  # rust-bindgen: pkgs/development/tools/rust/bindgen/default.nix (bindgen, wrapped with the
  # libclang it loads and the C library's headers)
  rust-bindgen = {
    deb = "bindgen";
    programs = usrBin ["bindgen"];
  };
  # pkgsCross.wasi32.wasilibc: pkgs/development/libraries/wasilibc/default.nix, whose `out` is
  # the libraries and start files in lib/ (SYSROOT_LIB)
  "pkgsCross.wasi32.wasilibc" = {
    deb = "wasi-libc";
    programs = {};
    links.lib = "/usr/lib/wasm32-wasi";
  };
  # pkgs/by-name/wa/wasmtime
  wasmtime = {
    version = "wasmtime";
    programs.wasmtime = "/opt/rts-shards/wasmtime/bin/wasmtime";
  };
  # pkgs/by-name/al/alejandra (4.0.0)
  alejandra = {
    version = "alejandra";
    programs = lint "alejandra";
  };
  # pkgs/by-name/de/deadnix
  deadnix = {
    version = "deadnix";
    programs = lint "deadnix";
  };
  # pkgs/by-name/st/statix (0.5.8); present only where tools/setup.sh could build it
  statix = {
    version = "statix";
    optional = true;
    programs = lint "statix";
  };
}
