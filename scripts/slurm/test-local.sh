#!/usr/bin/env bash
# End-to-end test of scripts/slurm/ on a one-node Slurm cluster on this machine (as root;
# scripts/slurm/local-cluster.sh installs and starts it if needed): a small sweep submitted with
# submit.sh as a 3-task array plus the dependent merge job, then the same sweep unsharded; the
# merged report must equal the unsharded one byte for byte (sweep.csv, sweep.json, summary.md,
# drift.svg, drift.png). Prints a table; exit status 1 on a difference, a failed job or a timeout.
#
# Usage: scripts/slurm/test-local.sh   (builds nothing; from any directory: the jobs run in the
#        repository root above this script, where data/onnx-mnist and data/mnist must be:
#        aimc data fetch onnx-mnist && aimc data fetch mnist)
# Environment:
#   AIMC               the aimc binary (default: target/release/aimc in the repository)
#   TEST_TIMEOUT       seconds to wait for the jobs, and again for the unsharded sweep (300)
#   TEST_SHARDS        the number of shards (3)
#   TEST_SWEEP         the aimc arguments before --out (default: a sweep of the ONNX MNIST
#                      classifier on the first 1000 test images, 3 repeats, 1s and 1d)
#   TEST_KEEP          1: keep the temporary directory (kept anyway when the test fails)
#   TEST_KEEP_CLUSTER  1: leave the cluster running when this script started it (by default
#                      the cluster is left as it was found: stopped again if it was down)
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
cd "$repo"

timeout_s=${TEST_TIMEOUT:-300}
shards=${TEST_SHARDS:-3}
sweep_args=${TEST_SWEEP:-sweep --model data/onnx-mnist/model.onnx --dataset mnist --scale 255 --test-subset 1000 --reps 3 --times 1s,1d --quiet}
read -r -a sweep <<<"$sweep_args"
files=(sweep.csv sweep.json summary.md drift.svg drift.png)

die() { echo "test-local: $*" >&2; exit 1; }
now() { echo "$EPOCHREALTIME"; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f s", b - a }'; }

AIMC=${AIMC:-target/release/aimc}
[[ "$AIMC" == */* ]] && AIMC=$(cd "$(dirname "$AIMC")" && pwd)/$(basename "$AIMC")
[ -x "$AIMC" ] || die "no aimc binary at $AIMC (cargo build --release, or set AIMC)"
export AIMC
if [ -z "${TEST_SWEEP:-}" ]; then
  for d in data/onnx-mnist/model.onnx data/mnist; do
    [ -e "$d" ] || die "no $repo/$d (aimc data fetch onnx-mnist && aimc data fetch mnist)"
  done
fi

t_start=$(now)

# 1. The cluster.
cluster_was_up=0
"$here/local-cluster.sh" status >/dev/null 2>&1 && cluster_was_up=1
"$here/local-cluster.sh" start >/dev/null || die "the local cluster did not start"
t_cluster=$(since "$t_start")

tmp=$(mktemp -d "${TMPDIR:-/tmp}/aimc-slurm-test.XXXXXX")
array_id=""
merge_id=""
failed=1
cleanup() {
  if [ "$failed" = 1 ] && [ -n "$array_id" ]; then
    scancel "$array_id" "$merge_id" 2>/dev/null || true
  fi
  if [ "$failed" = 0 ] && [ "${TEST_KEEP:-0}" != 1 ]; then
    rm -rf "$tmp"
  else
    echo "test-local: files kept in $tmp"
  fi
  if [ "$cluster_was_up" = 0 ] && [ "${TEST_KEEP_CLUSTER:-0}" != 1 ]; then
    "$here/local-cluster.sh" stop >/dev/null || true
  fi
}
trap cleanup EXIT

# 2. The sharded sweep and its merge, through Slurm.
t_jobs=$(now)
read -r array_id merge_id < <("$here/submit.sh" --parsable "$shards" "${sweep[@]}" --out "$tmp/sharded") \
  || die "submit.sh failed"
[ -n "$merge_id" ] || die "submit.sh printed no job ids"

terminal='^(COMPLETED|FAILED|CANCELLED|TIMEOUT|NODE_FAIL|PREEMPTED|OUT_OF_MEMORY|BOOT_FAIL|DEADLINE)$'
timed_out=0
states=""
while :; do
  # All states, finished ones included (kept by slurmctld for MinJobAge, 300 s).
  if states=$(squeue -h -t all -j "$array_id,$merge_id" -o '%i %T' 2>/dev/null); then
    pending=0
    while read -r _ state; do
      [[ "$state" =~ $terminal ]] || pending=1
    done <<<"$states"
    [ -n "$states" ] && [ "$pending" = 0 ] && break
  fi
  if awk -v a="$t_jobs" -v b="$(now)" -v t="$timeout_s" 'BEGIN { exit !(b - a > t) }'; then
    timed_out=1
    break
  fi
  sleep 1
done
t_jobs=$(since "$t_jobs")

state_of() { # job id -> its states, counted ("COMPLETED x3")
  awk -v id="$1" '$1 == id || index($1, id "_") == 1 { print $2 }' <<<"$states" \
    | sort | uniq -c | awk '{ printf "%s%s x%d", (NR > 1 ? ", " : ""), $2, $1 }'
}
shard_state=$(state_of "$array_id")
merge_state=$(state_of "$merge_id")

# 3. The same sweep, unsharded.
t_whole=$(now)
whole_rc=0
if [ "$timed_out" = 0 ]; then
  timeout "$timeout_s" "$AIMC" "${sweep[@]}" --out "$tmp/whole" >"$tmp/whole.log" 2>&1 || whole_rc=$?
fi
t_whole=$(since "$t_whole")

# 4. Compare.
ok=1
[ "$timed_out" = 0 ] || ok=0
[ "$shard_state" = "COMPLETED x$shards" ] || ok=0
[ "$merge_state" = "COMPLETED x1" ] || ok=0
[ "$whole_rc" = 0 ] || ok=0
merge_log=$tmp/sharded/slurm/merge-$merge_id.out
grep -q "wrote .*sweep.csv" "$merge_log" 2>/dev/null || ok=0
shard_files=0
for i in $(seq 1 "$shards"); do
  [ -s "$tmp/sharded/shard-$i-of-$shards.json" ] && shard_files=$((shard_files + 1))
done
[ "$shard_files" = "$shards" ] || ok=0

echo
echo "Slurm test ($shards shards, $(hostname -s), $(sbatch --version 2>/dev/null))"
printf '  %-24s %s\n' "shard job" "$array_id: ${shard_state:-gone}"
printf '  %-24s %s\n' "merge job" "$merge_id: ${merge_state:-gone}"
printf '  %-24s %s\n' "shard files" "$shard_files of $shards"
printf '  %-24s %s\n' "merge log" "$(grep -c '^wrote ' "$merge_log" 2>/dev/null || echo 0) files written"
printf '  %-24s %s\n' "cluster start" "$t_cluster"
printf '  %-24s %s\n' "jobs (submit to merged)" "$t_jobs$([ "$timed_out" = 1 ] && echo " TIMEOUT (> ${timeout_s} s)")"
if [ "$timed_out" = 1 ]; then
  t_whole="not run"
elif [ "$whole_rc" != 0 ]; then
  t_whole="$t_whole FAILED (exit $whole_rc, $tmp/whole.log)"
fi
printf '  %-24s %s\n' "unsharded sweep" "$t_whole"
for f in "${files[@]}"; do
  if [ ! -e "$tmp/sharded/$f" ]; then
    r="missing in the merged report"; ok=0
  elif [ ! -e "$tmp/whole/$f" ]; then
    r="missing in the unsharded report"; ok=0
  elif cmp -s "$tmp/sharded/$f" "$tmp/whole/$f"; then
    r="identical"
  else
    r="DIFFERENT"; ok=0
  fi
  printf '  %-24s %s\n' "$f" "$r"
done
printf '  %-24s %s\n' "total" "$(since "$t_start")"
if [ "$ok" = 1 ]; then
  echo "PASS"
  failed=0
else
  echo "FAIL (logs: $tmp/sharded/slurm, $tmp/whole.log, /var/log/slurm)"
  exit 1
fi
