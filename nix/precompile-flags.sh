# Sourced by nix/build-variant.sh and nix/cwasm-portable.sh: how every module is precompiled.
# One definition of the target and CPU baseline of `wasmtime compile`.
#
# Sets PRECOMPILE_FLAGS: a named target and a fixed CPU-feature baseline, never the features of
# the CPU that happens to build: `wasmtime compile` without --target enables every feature of the
# build machine, and the .cwasm then differs between machines and is refused on older ones.
# x86_64: x86-64-v2 (SSE3, SSSE3, SSE4.1, SSE4.2, POPCNT, CMPXCHG16B; every x86_64 CPU since
# 2009; Cranelift's SIMD lowering needs SSE4.1), the same as Cranelift's `nehalem` preset;
# aarch64: the base ISA.
# Sets BEYOND_BASELINE: Cranelift's other CPU features of that target, which must not change
# the output (nix/cwasm-portable.sh turns them off explicitly and compares).
case $(uname -m) in
  x86_64)
    PRECOMPILE_FLAGS=(--target x86_64-unknown-linux-gnu -Ccranelift-has_sse3 -Ccranelift-has_ssse3
      -Ccranelift-has_sse41 -Ccranelift-has_sse42 -Ccranelift-has_popcnt -Ccranelift-has_cmpxchg16b)
    BEYOND_BASELINE=(has_avx has_avx2 has_fma has_avx_vnni has_avx512bitalg has_avx512dq
      has_avx512vl has_avx512vbmi has_avx512f has_avx512vnni has_bmi1 has_bmi2 has_lzcnt)
    ;;
  aarch64)
    PRECOMPILE_FLAGS=(--target aarch64-unknown-linux-gnu)
    BEYOND_BASELINE=() # not listed: this project's builders are x86_64
    ;;
  *)
    echo "precompile-flags: no portable wasmtime target for $(uname -m)" >&2
    return 2
    ;;
esac
