#!/usr/bin/env bash
# Runs the criterion benchmarks of benches/ at each thread count and writes benches/README.md
# (every benchmark, its floor, its goal and its ratio; speed-up and parallel efficiency when
# more than one thread count is given).
#   THREADS="1 2"            thread counts (RAYON_NUM_THREADS), default: the machine's cores
#   BENCHES="tile_forward"   cargo bench targets, default: all of them
#   extra arguments go to criterion, e.g. --measurement-time 4
# Results are saved as criterion baselines threadsN (target/criterion/GROUP/ID/threadsN/), so
# the table can be rewritten from them alone: cargo run --release --example bench_table.
set -euo pipefail
cd "$(dirname "$0")/.."
read -ra threads <<< "${THREADS:-$(nproc)}"
read -ra benches <<< "${BENCHES:-tile_forward device_program train_step lm_step bert_step onnx_graph}"
for t in "${threads[@]}"; do
    case "$t" in
        '' | *[!0-9]* | 0) echo "error: THREADS: expected thread counts such as \"1 2\", found \"$t\"" >&2; exit 1 ;;
    esac
done
for t in "${threads[@]}"; do
    for b in "${benches[@]}"; do
        echo "== $b, $t thread(s)" >&2
        RAYON_NUM_THREADS="$t" cargo bench --bench "$b" -- --save-baseline "threads$t" "$@"
    done
done
cargo run --release --example bench_table -- --threads "$(IFS=,; echo "${threads[*]}")"
