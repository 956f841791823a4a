#!/usr/bin/env bash
# Builds what scripts/gpu-check.sh runs on a GPU machine that has the CUDA driver and libraries
# but no Rust (the machines lent to this project): `aimc` and the test binary of
# tests/on_device.rs, built here with `--features cuda` (CUDA 13.0 from PyPI, scripts/cuda-env.sh;
# no GPU needed), stripped, into gpu-bundle/ (git-ignored, about 45 MB: small enough to carry).
#
#   bash scripts/gpu-bundle.sh            # here (first build: about 25 min on 2 cores)
#   bash scripts/gpu-check.sh --prebuilt gpu-bundle --device cuda    # there
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/cuda-env.sh
. scripts/cuda-env.sh
out=gpu-bundle
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
git rev-parse HEAD > "$out.tmp/commit"
nvcc --version | tail -1 > "$out.tmp/nvcc"
rm -rf "$out"
mv "$out.tmp" "$out"
ls -l "$out"
