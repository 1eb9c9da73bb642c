{
  description = "Stand-in for nixpkgs made of the host's tools, as installed by tools/setup.sh (needs sandbox = false)";

  # Each attribute mirrors the nixpkgs attribute of the same name: a prefix holding bin/. Only
  # where the tools come from differs; the build logic in ../ is the same for both.
  outputs = _: {
    legacyPackages.x86_64-linux = {
      bash = "/usr";
      coreutils = "/usr";
      gawk = "/usr";
      gnugrep = "/usr";
      gnutar = "/usr";
      gzip = "/usr";
      xz = "/usr";
      time = "/usr";
      cargo = "/usr"; # Debian rustc-web 1.96
      clippy = "/usr"; # Debian rust-web-clippy
      stdenv.cc = "/usr"; # Debian gcc: bin/cc
      rustc = {
        outPath = "/usr";
        version = "1.96";
        # library/ and vendor/ packed like the official source tarball by tools/setup.sh
        src = "/opt/rts-shards/rustc-src.tar.gz";
      };
      lld = "/usr/lib/llvm-22"; # Debian lld-22: bin/wasm-ld
      wasmtime = "/opt/rts-shards/wasmtime"; # cargo install wasmtime-cli@48.0.8
      alejandra = "/opt/rts-shards/nix-lint";
      deadnix = "/opt/rts-shards/nix-lint";
    };
  };
}
