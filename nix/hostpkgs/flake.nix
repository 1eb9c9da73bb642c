{
  description = "Stand-in for nixpkgs made of the host's tools, as installed by tools/setup.sh (needs sandbox = false)";

  # Each attribute mirrors the nixpkgs attribute of the same name: a prefix holding bin/ (or, for
  # rustLibSrc, the library sources). Only where the tools come from differs; the build logic in
  # ../ is the same for both.
  outputs =
    { self }:
    {
      legacyPackages.x86_64-linux = {
        bash = "/usr";
        coreutils = "/usr";
        gawk = "/usr";
        gnugrep = "/usr";
        time = "/usr";
        cargo = "/usr"; # Debian rustc-web 1.96
        rustc = "/usr";
        lld = "/usr/lib/llvm-22"; # Debian lld-22: bin/wasm-ld
        wasmtime = "/opt/rts-shards/wasmtime"; # cargo install wasmtime-cli@48.0.8
        rustPlatform.rustLibSrc = "/usr/lib/rustlib/src/rust/library"; # Debian rust-web-src
      };
    };
}
