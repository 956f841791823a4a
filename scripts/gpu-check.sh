#!/usr/bin/env bash
# The GPU check (issue 19): everything aimc computes on a CUDA device, in one run of at most
# 8 minutes on one GPU, ending with one table of what passed and the figures.
#
#   1. the tests that take a device (tests/on_device.rs, AIMC_TEST_DEVICE): eps_M of the
#      standard tile and a ResNet-8 HWA step (every gradient finite), each against the CPU;
#   2. `aimc tile error` on the device against the CPU: eps_M of each non-ideality within
#      sampling error (3 standard deviations of eps_M over 4 CPU seeds);
#   3. one WRN-16-4 training step at batch 128, HWA against FP (the mean of 3 after a warm-up);
#   4. `aimc demo --quick` on the device.
#
# Usage: scripts/gpu-check.sh [--device cuda|cpu] [--prebuilt DIR] [--batch N] [--out DIR]
#   --device cpu   the dry run: the same steps on the CPU (no GPU needed; the step timer then
#                  takes minutes at batch 128: --batch 16 makes it quick)
#   --prebuilt DIR binaries from scripts/gpu-bundle.sh (a GPU machine without Rust); without
#                  it the binaries are built here with cargo (--features cuda for cuda)
#   --out DIR      where the logs and the table (gpu-check.md) go (default: a temporary folder)
set -uo pipefail
cd "$(dirname "$0")/.."

device=cuda
prebuilt=""
batch=128
out=""
while [ $# -gt 0 ]; do
  case "$1" in
    --device) device="${2:-}"; shift 2 ;;
    --prebuilt) prebuilt="${2:-}"; shift 2 ;;
    --batch) batch="${2:-}"; shift 2 ;;
    --out) out="${2:-}"; shift 2 ;;
    -h|--help) sed -n '2,20p' "$0"; exit 0 ;;
    *) echo "gpu-check: unknown argument '$1' (expected --device, --prebuilt, --batch, --out)" >&2; exit 2 ;;
  esac
done
case "$device" in
  cpu|cuda) ;;
  *) echo "gpu-check: --device '$device': expected cpu or cuda" >&2; exit 2 ;;
esac
case "$batch" in
  ''|*[!0-9]*) echo "gpu-check: --batch '$batch': expected a whole number" >&2; exit 2 ;;
esac
out="${out:-$(mktemp -d)}"
mkdir -p "$out"
check_start=$(date +%s)

# The binaries: aimc and the test binary of tests/on_device.rs.
if [ -n "$prebuilt" ]; then
  # scripts/gpu-bundle.sh's binaries, xz-compressed (unpacked with Python's lzma: no xz needed).
  mkdir -p "$out/bin"
  for name in aimc on_device; do
    [ -f "$prebuilt/$name.xz" ] || { echo "gpu-check: --prebuilt $prebuilt: no $name.xz (build it with scripts/gpu-bundle.sh)" >&2; exit 2; }
    python3 -c 'import lzma, shutil, sys
with lzma.open(sys.argv[1]) as f, open(sys.argv[2], "wb") as g:
    shutil.copyfileobj(f, g)' "$prebuilt/$name.xz" "$out/bin/$name" || exit 2
    chmod +x "$out/bin/$name"
  done
  aimc="$out/bin/aimc"
  on_device="$out/bin/on_device"
else
  features=""
  if [ "$device" = cuda ]; then
    features="--features cuda"
  fi
  echo "== building (cargo build --release $features)"
  # shellcheck disable=SC2086
  cargo build --release $features --bin aimc || exit 1
  target_dir="$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')"
  aimc="$target_dir/release/aimc"
  # shellcheck disable=SC2086
  on_device=$(cargo test --release $features --test on_device --no-run --message-format=json \
    | python3 -c 'import json, sys
for line in sys.stdin:
    m = json.loads(line)
    if m.get("reason") == "compiler-artifact" and m["target"]["name"] == "on_device" and m.get("executable"):
        print(m["executable"])')
  [ -x "$on_device" ] || { echo "gpu-check: the on_device test binary was not built" >&2; exit 1; }
fi

# On a GPU machine the CUDA libraries (cuBLAS, cuRAND, NVRTC) may live in Python's nvidia
# wheels (PyTorch's) rather than in the system's folders: add every such lib/ folder.
if [ "$device" = cuda ]; then
  extra=$(python3 - <<'EOF' 2>/dev/null
import glob, os, site
dirs = []
for base in site.getsitepackages() + [site.getusersitepackages()]:
    dirs += glob.glob(os.path.join(base, "nvidia", "*", "lib"))
print(":".join(sorted(set(dirs))))
EOF
)
  for d in /usr/local/cuda/lib64 /usr/local/nvidia/lib64; do
    [ -d "$d" ] && extra="$extra:$d"
  done
  export LD_LIBRARY_PATH="${extra#:}${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
fi

rows=()
# Records a row of the table: check, result, figures, seconds.
row() { rows+=("| $1 | $2 | $3 | $4 |"); }

if [ "$device" = cuda ] && command -v nvidia-smi >/dev/null; then
  gpu=$(nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>&1 | head -1)
else
  gpu="none ($device)"
fi

echo "== 1. the tests that take a device (AIMC_TEST_DEVICE=$device)"
t0=$(date +%s)
AIMC_TEST_DEVICE=$device timeout 180 "$on_device" --test-threads=1 --nocapture >"$out/tests.log" 2>&1
rc=$?
cat "$out/tests.log"
eps=$(grep -o 'eps_M: cpu [^ ]*, device [^ ]*' "$out/tests.log" | head -1)
loss=$(grep -o 'HWA loss: cpu [^ ]*, device [^ ]*' "$out/tests.log" | head -1)
passed=$(grep -o 'test result: [a-zA-Z]*\. [0-9]* passed; [0-9]* failed' "$out/tests.log" | head -1)
row "tests/on_device.rs" "$([ $rc = 0 ] && echo pass || echo "FAIL (exit $rc)")" "${passed#test result: }; ${eps:-no eps_M}; ${loss:-no loss}" "$(( $(date +%s) - t0 ))"

echo "== 2. aimc tile error --compute $device against cpu"
t0=$(date +%s)
rc=0
for seed in 0 1 2 3; do
  timeout 60 "$aimc" tile error --t-s 86400 --format json --seed $seed --compute cpu >"$out/tile-error-cpu-$seed.json" 2>>"$out/tile-error.log" || rc=$?
done
timeout 60 "$aimc" tile error --t-s 86400 --format json --seed 0 --compute "$device" >"$out/tile-error-$device.json" 2>>"$out/tile-error.log" || rc=$?
if [ $rc = 0 ]; then
  figures=$(python3 - "$out" "$device" <<'EOF'
import json, statistics, sys
out, device = sys.argv[1], sys.argv[2]
load = lambda f: {r["nonideality"]: r["eps_m"] for r in json.load(open(f))["results"]}
cpu = [load(f"{out}/tile-error-cpu-{s}.json") for s in range(4)]
dev = load(f"{out}/tile-error-{device}.json")
bad, parts = [], []
for name, e in dev.items():
    sd = statistics.stdev(c[name] for c in cpu)
    tol = max(3 * sd, 1e-6 * cpu[0][name])
    d = e - cpu[0][name]
    parts.append(f"{name} {e:.4f} ({d:+.1e}, tol {tol:.1e})")
    if abs(d) > tol:
        bad.append(name)
print(("FAIL " + ",".join(bad) if bad else "pass") + "\t" + "; ".join(parts))
EOF
)
  result="${figures%%$'\t'*}"
  figures="${figures#*$'\t'}"
else
  cat "$out/tile-error.log"
  result="FAIL (exit $rc)"
  figures="see tile-error.log"
fi
row "aimc tile error, $device vs cpu (t = 1 d)" "$result" "$figures" "$(( $(date +%s) - t0 ))"

echo "== 3. WRN-16-4 training step, batch $batch, HWA against FP"
t0=$(date +%s)
AIMC_TEST_DEVICE=$device AIMC_STEP_BATCH=$batch timeout 300 "$on_device" --ignored --exact wrn_16_4_step_time --nocapture >"$out/step.log" 2>&1
rc=$?
cat "$out/step.log"
step=$(grep -o 'step-time .*' "$out/step.log" | head -1)
row "WRN-16-4 step, batch $batch" "$([ $rc = 0 ] && echo pass || echo "FAIL (exit $rc)")" "${step#step-time }" "$(( $(date +%s) - t0 ))"

echo "== 4. aimc demo --quick --device $device"
t0=$(date +%s)
timeout 240 "$aimc" demo --quick --device "$device" --quiet --out "$out/demo" --runs "$out/demo-runs" >"$out/demo.log" 2>&1
rc=$?
cat "$out/demo.log"
hwa=$(grep '^hardware-aware' "$out/demo.log" | head -1 | tr -s ' ')
row "aimc demo --quick" "$([ $rc = 0 ] && echo pass || echo "FAIL (exit $rc)")" "accuracy (%), FP 1s 1h 1d 1y: ${hwa:-none}" "$(( $(date +%s) - t0 ))"

{
  echo "GPU check: device $device; GPU: $gpu; binaries: ${prebuilt:-built here} ($(cat "${prebuilt:-.}/commit" 2>/dev/null || git rev-parse --short HEAD 2>/dev/null || echo unknown)); $(( $(date +%s) - check_start )) s"
  echo
  echo "| check | result | figures | s |"
  echo "|---|---|---|---:|"
  printf '%s\n' "${rows[@]}"
} >"$out/gpu-check.md"
echo
cat "$out/gpu-check.md"
! grep -q '| FAIL' "$out/gpu-check.md"
