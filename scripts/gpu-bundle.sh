#!/usr/bin/env bash
# Builds what scripts/gpu-check.sh runs on a GPU machine that has the CUDA driver and libraries
# but no Rust (the machines lent to this project): `aimc` and the test binary of
# tests/on_device.rs, built here with `--features cuda` (CUDA 13.0 from PyPI, scripts/cuda-env.sh;
# no GPU needed), stripped and xz-compressed, into gpu-bundle/ (git-ignored, about 15 MB: small
# enough to carry to the GPU machine).
#
#   bash scripts/gpu-bundle.sh            # here (first build: about 25 min on 2 cores)
#   bash scripts/gpu-check.sh --prebuilt gpu-bundle --device cuda    # there
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/cuda-env.sh
. scripts/cuda-env.sh
out=gpu-bundle

# candle links the CUDA libraries (driver, NVRTC, cuRAND, cuBLAS, cuBLASLt, runtime) at build
# time; the GPU machine has them (its driver; PyTorch's nvidia wheels), this machine does not.
# The linker is given stubs: shared libraries with the GPU machine's sonames that define every
# function cudarc binds (no code; the real libraries are loaded there). The runtime's own
# library comes with the toolchain's wheels.
stubs="$CUDA_CACHE/link-stubs"
mkdir -p "$stubs"
cudarc="$(dirname "$(cargo metadata --format-version 1 --features cuda | python3 -c 'import json, sys
for p in json.load(sys.stdin)["packages"]:
    if p["name"] == "cudarc":
        print(p["manifest_path"])')")/src"
for lib in driver:cuda:libcuda.so.1 nvrtc:nvrtc:libnvrtc.so.13 curand:curand:libcurand.so.10 \
           cublas:cublas:libcublas.so.13 cublaslt:cublasLt:libcublasLt.so.13; do
  IFS=: read -r module name soname <<<"$lib"
  grep -ohE 'pub unsafe fn [A-Za-z_][A-Za-z0-9_]*\(' "$cudarc/$module/sys/mod.rs" \
    | sed -E 's/pub unsafe fn ([A-Za-z0-9_]*)\(/void \1(void) {}/' | sort -u >"$stubs/$name.c"
  cc -shared -fPIC -Wl,-soname,"$soname" -o "$stubs/lib$name.so" "$stubs/$name.c"
done
ln -sf "$CUDA_ROOT/lib/libcudart.so.13" "$stubs/libcudart.so"
export LIBRARY_PATH="$stubs${LIBRARY_PATH:+:$LIBRARY_PATH}"

rm -rf "$out.tmp"
mkdir -p "$out.tmp"
cargo build --release --features cuda --bin aimc
cp "$CARGO_TARGET_DIR/release/aimc" "$out.tmp/aimc"
test_bin=$(cargo test --release --features cuda --test on_device --no-run --message-format=json \
  | python3 -c 'import json, sys
for line in sys.stdin:
    m = json.loads(line)
    if m.get("reason") == "compiler-artifact" and m["target"]["name"] == "on_device" and m.get("executable"):
        print(m["executable"])')
cp "$test_bin" "$out.tmp/on_device"
strip "$out.tmp/aimc" "$out.tmp/on_device"
# candle's kernels are embedded as PTX text: xz makes 127 MB of binaries about 15 MB.
xz -6 -T2 "$out.tmp/aimc" "$out.tmp/on_device"
git rev-parse HEAD > "$out.tmp/commit"
nvcc --version | tail -1 > "$out.tmp/nvcc"
rm -rf "$out"
mv "$out.tmp" "$out"
ls -l "$out"
