# The CUDA toolchain for building aimc with `--features cuda` on a machine without a GPU or a
# CUDA installation (CI's lint, scripts/gpu-bundle.sh). Source it: `. scripts/cuda-env.sh`.
#
# nvcc, the runtime headers and libcu++ (cuda_fp16.h includes its nv/target) come from pinned
# PyPI wheels in a virtual environment under $AIMC_CUDA_CACHE (default ~/.cache/aimc), with a
# target directory of its own beside it: candle's kernels, most of the build time, are compiled
# once and kept. CUDA 13.0 is pinned because it is what the driver of the GPU machines lent to
# this project runs (580.159, CUDA 13.0): candle embeds its kernels as PTX, which a driver
# compiles at start only if it knows the PTX version (a newer nvcc's would be refused there).
# No GPU is asked for the compute capability: 9.0 (Hopper: H100, H200).
#
# Exports CUDA_ROOT, CUDA_PATH, PATH, CUDA_COMPUTE_CAP and CARGO_TARGET_DIR.

CUDA_CACHE="${AIMC_CUDA_CACHE:-$HOME/.cache/aimc}"
CUDA_VENV="$CUDA_CACHE/cuda13.0-venv"
CUDA_WHEELS="nvidia-cuda-nvcc==13.0.88 nvidia-cuda-crt==13.0.88 nvidia-nvvm==13.0.88 nvidia-cuda-runtime==13.0.96 nvidia-cuda-cccl==13.0.85"
if [ ! -x "$CUDA_VENV/bin/python" ] || [ "$(cat "$CUDA_VENV/wheels" 2>/dev/null)" != "$CUDA_WHEELS" ]; then
  rm -rf "$CUDA_VENV"
  if ! python3 -m venv "$CUDA_VENV" 2>/dev/null; then
    apt-get update -qq && apt-get install -y -qq python3-venv
    python3 -m venv "$CUDA_VENV"
  fi
  # shellcheck disable=SC2086
  "$CUDA_VENV/bin/pip" install -q $CUDA_WHEELS
  echo "$CUDA_WHEELS" > "$CUDA_VENV/wheels"
fi
CUDA_SITE="$("$CUDA_VENV/bin/python" -c 'import site; print(site.getsitepackages()[0])')"
export CUDA_ROOT="$CUDA_SITE/nvidia/cu13" CUDA_PATH="$CUDA_SITE/nvidia/cu13"
export PATH="$CUDA_SITE/nvidia/cu13/bin:$PATH" CUDA_COMPUTE_CAP=90
export CARGO_TARGET_DIR="$CUDA_CACHE/cuda13.0-target"
