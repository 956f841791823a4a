#!/usr/bin/env bash
# Runs the criterion benchmarks of benches/ at each thread count and writes benches/README.md
# (every benchmark, its floor, its goal and its ratio; speed-up and parallel efficiency when
# more than one thread count is given).
#   THREADS="1 2"            thread counts (RAYON_NUM_THREADS), default: the machine's cores
#   BENCHES="tile_forward"   cargo bench targets, default: all of them
#   RUNS=3                   runs of every benchmark, one after the other (default 1); the table
#                            gives the median ratio over the runs and their range, so that a slow
#                            spell of a shared machine during one benchmark moves one run only
#   extra arguments go to criterion, e.g. --measurement-time 4
# Results are saved as criterion baselines threadsN, and threadsN-runR for runs after the first
# (target/criterion/GROUP/ID/BASELINE/), so the table can be rewritten from them alone:
# cargo run --release --example bench_table -- --threads 1,2 --runs 3.
set -euo pipefail
cd "$(dirname "$0")/.."
read -ra threads <<< "${THREADS:-$(nproc)}"
read -ra benches <<< "${BENCHES:-tile_forward device_program train_step lm_step bert_step onnx_graph}"
runs="${RUNS:-1}"
case "$runs" in
    '' | *[!0-9]* | 0) echo "error: RUNS: expected a number of runs such as 3, found \"$runs\"" >&2; exit 1 ;;
esac
for t in "${threads[@]}"; do
    case "$t" in
        '' | *[!0-9]* | 0) echo "error: THREADS: expected thread counts such as \"1 2\", found \"$t\"" >&2; exit 1 ;;
    esac
done
for r in $(seq 1 "$runs"); do
    for t in "${threads[@]}"; do
        baseline="threads$t"
        if [ "$r" -gt 1 ]; then baseline="threads$t-run$r"; fi
        for b in "${benches[@]}"; do
            echo "== $b, $t thread(s), run $r of $runs" >&2
            RAYON_NUM_THREADS="$t" cargo bench --bench "$b" -- --save-baseline "$baseline" "$@"
        done
    done
done
cargo run --release --example bench_table -- --threads "$(IFS=,; echo "${threads[*]}")" --runs "$runs"
