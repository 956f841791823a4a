#!/usr/bin/env bash
# A one-node Slurm cluster on this machine, to try the scripts in scripts/slurm/ without a real
# cluster (scripts/slurm/test-local.sh uses it). Debian/Ubuntu, as root.
#
# Usage: scripts/slurm/local-cluster.sh [start|stop|status]
#   start   (the default) installs slurm-wlm and munge with apt-get if they are missing, writes
#           a munge key (if there is none) and /etc/slurm/slurm.conf (one node: this host, its
#           CPUs and memory from `slurmd -C`; one partition `debug`; no accounting, no cgroups),
#           starts munged, slurmctld and slurmd as plain daemons (no systemd needed: this works
#           in a container) and waits until `sinfo` shows the node idle. Idempotent: daemons
#           already running are kept (restarted only when slurm.conf changed).
#   stop    stops the three daemons (by their pid files).
#   status  exit status 0 when the node is up (idle, mixed or allocated), else 1.
#
# A slurm.conf not written by this script is never overwritten (LOCAL_CLUSTER_FORCE=1 does,
# keeping a copy as slurm.conf.orig). LOCAL_CLUSTER_WAIT: seconds to wait for the node (60).
set -euo pipefail

conf_dir=/etc/slurm
conf=$conf_dir/slurm.conf
marker="# Written by aimc scripts/slurm/local-cluster.sh"
run_dir=/run/slurm
log_dir=/var/log/slurm
munge_run=/run/munge
munge_pid=$munge_run/munged.pid
ctld_pid=$run_dir/slurmctld.pid
slurmd_pid=$run_dir/slurmd.pid
wait_s=${LOCAL_CLUSTER_WAIT:-60}

die() { echo "local-cluster: $*" >&2; exit 1; }
say() { echo "local-cluster: $*"; }

# The pid in a pid file if that process is alive and is the named program.
live_pid() { # pidfile name
  local pid
  [ -r "$1" ] || return 1
  pid=$(cat "$1" 2>/dev/null) || return 1
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = "$2" ] || return 1
  echo "$pid"
}

stop_daemon() { # pidfile name
  local pid
  pid=$(live_pid "$1" "$2") || return 0
  kill "$pid" 2>/dev/null || true
  for _ in $(seq 1 50); do
    kill -0 "$pid" 2>/dev/null || { say "stopped $2 ($pid)"; rm -f "$1"; return 0; }
    sleep 0.2
  done
  say "$2 ($pid) still running after 10 s: SIGKILL"
  kill -9 "$pid" 2>/dev/null || true
  rm -f "$1"
}

node_name() { hostname -s; }

node_state() { sinfo -h -N -n "$(node_name)" -o %T 2>/dev/null | head -n 1; }

cmd=${1:-start}
case "$cmd" in
  start|stop|status) ;;
  -h|--help) sed -n '2,/^set -e/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'; exit 0 ;;
  *) die "unknown command '$cmd' (start, stop or status)" ;;
esac

if [ "$cmd" = status ]; then
  command -v sinfo >/dev/null || { echo "slurm is not installed"; exit 1; }
  live_pid "$ctld_pid" slurmctld >/dev/null || { echo "slurmctld is not running"; exit 1; }
  live_pid "$slurmd_pid" slurmd >/dev/null || { echo "slurmd is not running"; exit 1; }
  state=$(node_state || true)
  case "$state" in idle|mixed|allocated|completing) echo "$(node_name): $state"; exit 0 ;; esac
  echo "$(node_name): ${state:-no answer}"
  exit 1
fi

if [ "$cmd" = stop ]; then
  stop_daemon "$slurmd_pid" slurmd
  stop_daemon "$ctld_pid" slurmctld
  stop_daemon "$munge_pid" munged
  exit 0
fi

[ "$(id -u)" = 0 ] || die "run as root (it installs packages and starts daemons)"

# 1. Packages.
missing=()
command -v slurmctld >/dev/null || missing+=(slurmctld)
command -v slurmd >/dev/null || missing+=(slurmd)
command -v sbatch >/dev/null || missing+=(slurm-client)
command -v munged >/dev/null || missing+=(munge)
if [ ${#missing[@]} -gt 0 ]; then
  say "installing slurm-wlm munge (missing: ${missing[*]})"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q >/dev/null || apt-get update
  apt-get install -y -q --no-install-recommends slurm-wlm munge >/dev/null \
    || apt-get install -y --no-install-recommends slurm-wlm munge
  # The packages' own services (systemd, where there is one) would run them with the
  # packaged configuration: stopped, this script starts them itself.
  if [ -d /run/systemd/system ]; then
    systemctl stop slurmd slurmctld 2>/dev/null || true
  fi
fi

# 2. Munge: a key, and munged running as the munge user.
id munge >/dev/null 2>&1 || die "no user 'munge' (the munge package creates it)"
install -d -m 0700 -o munge -g munge /etc/munge
if [ ! -s /etc/munge/munge.key ]; then
  say "writing a munge key"
  if command -v mungekey >/dev/null; then
    mungekey --create --keyfile=/etc/munge/munge.key
  else
    dd if=/dev/urandom of=/etc/munge/munge.key bs=1 count=1024 status=none
  fi
fi
chown munge:munge /etc/munge/munge.key
chmod 0400 /etc/munge/munge.key
install -d -m 0755 -o munge -g munge "$munge_run"
install -d -m 0700 -o munge -g munge /var/lib/munge /var/log/munge
if ! live_pid "$munge_pid" munged >/dev/null || ! munge -n 2>/dev/null | unmunge >/dev/null 2>&1; then
  stop_daemon "$munge_pid" munged
  say "starting munged"
  runuser -u munge -- munged --pid-file="$munge_pid" \
    || die "munged did not start (see /var/log/munge/munged.log)"
  for _ in $(seq 1 50); do munge -n 2>/dev/null | unmunge >/dev/null 2>&1 && break; sleep 0.1; done
  munge -n | unmunge >/dev/null || die "munge does not work (see /var/log/munge/munged.log)"
fi

# 3. slurm.conf for this one node.
node=$(node_name)
hw=$(slurmd -C | head -n 1) || die "slurmd -C failed"
field() { sed -n "s/.*[[:space:]]$1=\([^[:space:]]*\).*/\1/p" <<<"$hw"; }
cpus=$(field CPUs); boards=$(field Boards); sockets=$(field SocketsPerBoard)
cores=$(field CoresPerSocket); threads=$(field ThreadsPerCore); mem=$(field RealMemory)
if [ -z "$cpus" ] || [ -z "$mem" ]; then
  die "could not read CPUs and RealMemory from: $hw"
fi
# A little below what slurmd measures, so that a node never registers with less than configured
# (it would be drained as 'Low RealMemory'). Memory is not scheduled here (CR_Core) anyway.
mem=$(( mem * 95 / 100 ))
new_conf=$(cat <<EOF
$marker: a one-node test cluster.
ClusterName=aimc-local
SlurmctldHost=$node(127.0.0.1)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
SlurmctldPort=6817
SlurmdPort=6818
StateSaveLocation=/var/spool/slurmctld
SlurmdSpoolDir=/var/spool/slurmd
SlurmctldPidFile=$ctld_pid
SlurmdPidFile=$slurmd_pid
SlurmctldLogFile=$log_dir/slurmctld.log
SlurmdLogFile=$log_dir/slurmd.log
# No cgroups (a container may not have them) and no accounting database.
ProctrackType=proctrack/pgid
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
MpiDefault=none
MailProg=/bin/true
ReturnToService=2
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SlurmctldTimeout=30
SlurmdTimeout=30
InactiveLimit=0
KillWait=5
Waittime=0
MinJobAge=300
NodeName=$node NodeAddr=127.0.0.1 CPUs=$cpus Boards=${boards:-1} SocketsPerBoard=${sockets:-1} CoresPerSocket=${cores:-$cpus} ThreadsPerCore=${threads:-1} RealMemory=$mem State=UNKNOWN
PartitionName=debug Nodes=$node Default=YES MaxTime=INFINITE State=UP
EOF
)
changed=0
if [ ! -e "$conf" ] || [ "$(cat "$conf")" != "$new_conf" ]; then
  if [ -e "$conf" ] && ! grep -qF "$marker" "$conf"; then
    [ "${LOCAL_CLUSTER_FORCE:-0}" = 1 ] \
      || die "$conf exists and was not written by this script (LOCAL_CLUSTER_FORCE=1 replaces it)"
    cp -p "$conf" "$conf.orig"
    say "kept the previous $conf as $conf.orig"
  fi
  install -d -m 0755 "$conf_dir"
  printf '%s\n' "$new_conf" >"$conf"
  chmod 0644 "$conf"
  say "wrote $conf (node $node: $cpus CPUs, ${mem} MB)"
  changed=1
fi
install -d -m 0755 "$run_dir" "$log_dir" /var/spool/slurmd
install -d -m 0700 /var/spool/slurmctld

# 4. The daemons.
if [ "$changed" = 1 ]; then
  stop_daemon "$slurmd_pid" slurmd
  stop_daemon "$ctld_pid" slurmctld
fi
if ! live_pid "$ctld_pid" slurmctld >/dev/null; then
  say "starting slurmctld"
  slurmctld || { tail -n 20 "$log_dir/slurmctld.log" >&2; die "slurmctld did not start"; }
fi
for _ in $(seq 1 100); do scontrol ping >/dev/null 2>&1 && break; sleep 0.2; done
scontrol ping >/dev/null 2>&1 \
  || { tail -n 20 "$log_dir/slurmctld.log" >&2; die "slurmctld does not answer"; }
if ! live_pid "$slurmd_pid" slurmd >/dev/null; then
  say "starting slurmd"
  slurmd || { tail -n 20 "$log_dir/slurmd.log" >&2; die "slurmd did not start"; }
fi

# 5. Wait for the node.
state=""
for _ in $(seq 1 $(( wait_s * 2 ))); do
  state=$(node_state || true)
  case "$state" in
    idle|mixed|allocated|completing) break ;;
    down*|drain*) scontrol update NodeName="$node" State=RESUME >/dev/null 2>&1 || true ;;
  esac
  sleep 0.5
done
case "$state" in
  idle|mixed|allocated|completing) ;;
  *)
    sinfo -N -l >&2 || true
    tail -n 20 "$log_dir/slurmd.log" >&2 || true
    die "node $node is '${state:-unknown}' after ${wait_s} s (logs in $log_dir)"
    ;;
esac
say "node $node is $state"
sinfo
