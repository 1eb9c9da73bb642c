# One variant of the RTS test wasm: `rts_testsuite.wasm` and its precompiled `.cwasm`.
# Depends on rts/, the sysroot and nix/build-variant.sh only, so other changes rebuild nothing.
{
  wasmBuild,
  rtsSrc,
  rtsVendor,
  # The standard library for the variant's target (./sysroot.nix).
  sysroot,
  name,
  variant,
  # Content-addressed output (experimental Nix feature ca-derivations): when a change to rts/
  # leaves the wasm byte-identical, the shards depending on it are not rerun.
  contentAddressed ? false,
}:
wasmBuild ./build-variant.sh ({
    name = "rts-${name}";
    RTS_SRC = rtsSrc;
    VARIANT = name;
    TARGET = variant.target;
    FEATURES = builtins.concatStringsSep " " variant.features;
    WASMTIME_FLAGS = builtins.concatStringsSep " " variant.wasmtime_flags;
    SYSROOT = sysroot;
    PRECOMPILE_FLAGS_SH = ./precompile-flags.sh;
    # The crates of rts/ only: the standard library's come prebuilt in the sysroot.
    VENDOR_DIRS = "${rtsVendor}";
  }
  // (
    if contentAddressed
    then {
      __contentAddressed = true;
      outputHashMode = "recursive";
      outputHashAlgo = "sha256";
    }
    else {}
  ))
