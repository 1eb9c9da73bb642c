# A check that every variant's precompiled module depends on the baseline in
# ./precompile-flags.sh only, never on the CPU of the machine that built it.
{
  system,
  toolchain,
  # Every variant of every suite: its wasmtime_flags, and its built `wasm` and `cwasm`.
  variants,
  builds,
}:
builtins.derivation {
  name = "cwasm-portable";
  inherit system;
  builder = toolchain.bash;
  args = [./builder.sh ./cwasm-portable.sh];
  PATH = toolchain.shardPath;
  PRECOMPILE_FLAGS_SH = ./precompile-flags.sh;
  WASMTIME_FLAGS_OF = builtins.concatStringsSep "\n" (map (name: "${name} ${builds.${name}.wasm} ${builds.${name}.cwasm} ${builtins.concatStringsSep " " variants.${name}.wasmtime_flags}") (builtins.attrNames variants));
}
