#!/usr/bin/env bash
# Submits a sharded aimc study to Slurm: an array of N jobs (scripts/slurm/sweep.sbatch, task I
# runs the command with --shard I/N) and a merge job (scripts/slurm/merge.sbatch, `aimc report
# --merge DIR`) that starts once every shard succeeded (afterok) and is cancelled if one fails.
#
# Usage: scripts/slurm/submit.sh [--parsable] N[%K] AIMC-ARGS...
#   scripts/slurm/submit.sh 3 sweep models/mnist-onnx.toml --reps 3 --out reports/mnist-pcm
#   N%K runs at most K shards at once (sbatch --array=1-N%K). AIMC-ARGS must have --out DIR.
#   --parsable prints only "ARRAY_JOB_ID MERGE_JOB_ID".
#
# Run it from the repository root: the jobs run in the current directory (sbatch --chdir), where
# relative paths (models/, data/, DIR) resolve. Logs: DIR/slurm/shard-I-JOBID.out and
# DIR/slurm/merge-JOBID.out. A shard whose file is already in DIR is kept, so submitting again
# after a failure reruns only the missing shards.
#
# Environment:
#   AIMC         the aimc binary for the jobs (default: `aimc` on PATH, else target/release/aimc;
#                a relative path is made absolute here)
#   SBATCH_OPTS  more sbatch options for both jobs, split on spaces
#                (e.g. SBATCH_OPTS="--partition=cpu --time=2:00:00 --cpus-per-task=4")
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
die() { echo "submit.sh: $*" >&2; exit 2; }
usage() { sed -n '2,/^set -e/p' "${BASH_SOURCE[0]}" | sed '$d' | sed 's/^# \{0,1\}//'; }

parsable=0
case "${1:-}" in
  -h|--help) usage; exit 0 ;;
  --parsable) parsable=1; shift ;;
esac
[ $# -ge 2 ] || { usage >&2; exit 2; }

spec=$1; shift
[[ "$spec" =~ ^([1-9][0-9]*)(%[1-9][0-9]*)?$ ]] || die "N must be a positive number (or N%K), not '$spec'"
n=${BASH_REMATCH[1]}
throttle=${BASH_REMATCH[2]}

out=""
prev=""
for arg in "$@"; do
  case "$arg" in
    --shard|--shard=*) die "leave out --shard: each array task adds --shard I/$n" ;;
    --out=*) out=${arg#--out=} ;;
  esac
  [ "$prev" = --out ] && out=$arg
  prev=$arg
done
[ -n "$out" ] || die "the aimc arguments have no --out DIR (the shards and the merged report go there)"

command -v sbatch >/dev/null || die "no sbatch on PATH (scripts/slurm/local-cluster.sh starts a local test cluster)"

if [ -n "${AIMC:-}" ]; then
  if [[ "$AIMC" == */* ]]; then
    AIMC=$(cd "$(dirname "$AIMC")" && pwd)/$(basename "$AIMC")
  fi
  [ -x "$AIMC" ] || command -v "$AIMC" >/dev/null || die "AIMC=$AIMC is not an executable"
  export AIMC
elif ! command -v aimc >/dev/null && [ ! -x target/release/aimc ]; then
  die "no aimc binary: set AIMC, put aimc on PATH, or build target/release/aimc in $(pwd)"
fi

extra=()
if [ -n "${SBATCH_OPTS:-}" ]; then
  read -r -a extra <<<"$SBATCH_OPTS"
fi

logs=$out/slurm
mkdir -p "$logs"

array_id=$(sbatch --parsable --array="1-$n$throttle" --chdir="$PWD" \
  --output="$logs/shard-%a-%A.out" "${extra[@]}" "$here/sweep.sbatch" "$@")
array_id=${array_id%%;*}
[[ "$array_id" =~ ^[0-9]+$ ]] || die "sbatch did not return a job id: $array_id"

if ! merge_id=$(sbatch --parsable --dependency="afterok:$array_id" --kill-on-invalid-dep=yes \
  --chdir="$PWD" --output="$logs/merge-%j.out" "${extra[@]}" "$here/merge.sbatch" "$out"); then
  scancel "$array_id" || true
  die "the merge job was not accepted: the shards (job $array_id) are cancelled"
fi
merge_id=${merge_id%%;*}

if [ "$parsable" = 1 ]; then
  echo "$array_id $merge_id"
else
  echo "shards: job $array_id (array 1-$n$throttle), logs $logs/shard-I-$array_id.out"
  echo "merge:  job $merge_id (after the shards succeed), log $logs/merge-$merge_id.out"
  echo "report: $out (squeue -j $array_id,$merge_id shows them)"
fi
