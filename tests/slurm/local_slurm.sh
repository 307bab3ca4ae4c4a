#!/usr/bin/env bash
# A real single-node Slurm cluster on this machine, with accounting, and the workflow run
# through it with workflow/profiles/slurm (snakemake-executor-plugin-slurm).
#
#   sudo bash tests/slurm/local_slurm.sh [CONFIG] [WORKDIR] [PREFIX]
#   sudo bash tests/slurm/local_slurm.sh --install-only
#
# --install-only installs the packages if they are missing and exits (status 100 where they
# cannot be installed): the packages create their own folders (/var/lib/slurm, /var/log/munge,
# ...), so a caller checking that a run leaves the system as it found it installs first.
#
# Needs root and Debian/Ubuntu packages (installed here if missing): slurm-wlm, slurmdbd,
# munge, mariadb-server. Everything the cluster needs lives in a private PREFIX (default: a
# fresh `mktemp -d`, removed at the end; a given PREFIX must be empty or absent): its own
# slurm.conf/slurmdbd.conf (clients find them through SLURM_CONF, which slurmdbd also uses
# to find slurmdbd.conf), munge key and socket, MariaDB data directory and socket, state,
# spool, pid and log files, and TCP ports picked free at start. Nothing is written to
# /etc/slurm, /etc/munge, /run/munge, /run/mysqld or /var/tmp; the system's own daemons (if
# any) are neither used nor touched.
#
# It starts munged, MariaDB, slurmdbd, slurmctld and slurmd in the foreground as its own
# background jobs (their pids, with their start times, go to PREFIX/pids), registers
# cluster `localcluster`, account `repgeom` and user root, runs the workflow on CONFIG
# (default: tests/workflow/tiny.yaml) in WORKDIR, and checks that every job shows up in
# `sacct` as COMPLETED. Accounting (slurmdbd) is what makes `sacct` work: without it the
# plugin's sacct polling waits forever (../shared/notes/local-slurm.md).
#
# On exit -- success, failure, or SIGTERM/SIGINT/SIGHUP -- the EXIT trap cancels the jobs,
# stops every daemon it started (TERM, then KILL), kills any process left that carries
# this run's REPGEOM_LOCAL_SLURM tag in its environment (job steps, the workflow), and
# removes the state (database, spool, sockets, key). With a caller-given PREFIX, the
# configs, logs and PREFIX/pids stay there for inspection; otherwise PREFIX goes entirely.
# The only things created outside PREFIX (and WORKDIR, by default a fresh /tmp/repgeom-slurm.*
# that stays with the results) are a short directory /tmp/rgslurm.* for the sockets and
# slurmd's spool when PREFIX is too long for unix socket paths (listed in PREFIX/outside),
# and, only while packages are being installed, /usr/sbin/policy-rc.d (so that apt starts
# no system daemons); both are removed again.
set -euo pipefail

INSTALL_ONLY=0
if [ "${1:-}" = "--install-only" ]; then INSTALL_ONLY=1; shift; fi
REPO=$(cd "$(dirname "$0")/../.." && pwd)
CONFIG=$(realpath "${1:-$REPO/tests/workflow/tiny.yaml}")
WORKDIR=$(realpath -m "${2:-$(mktemp -d /tmp/repgeom-slurm.XXXXXX)}")
PREFIX_ARG=${3:-${REPGEOM_SLURM_PREFIX:-}}
PYTHON=${PYTHON:-$REPO/.venv/bin/python}
WORKFLOW_TIMEOUT=${REPGEOM_SLURM_TIMEOUT:-1500}
MARK="# written by repgeom tests/slurm/local_slurm.sh"
# Every process started from here on inherits this tag; cleanup kills what still has it.
TAG=${REPGEOM_LOCAL_SLURM:-$$.$(date +%s%N)}
export REPGEOM_LOCAL_SLURM=$TAG

log() { echo "[local-slurm] $*" >&2; }

[ "$(id -u)" = 0 ] || { log "run as root (it installs packages and starts daemons)"; exit 2; }

PREFIX="" OWN_PREFIX=0 RUN="" POLICY_RC="" WORKFLOW_PID="" CTLD_PID="" WORKFLOW_STARTED=0
DAEMONS=()      # pids, in start order
declare -A NAME # pid -> daemon name

alive() { [ -n "$1" ] && kill -0 "$1" 2>/dev/null; }

stop_pid() { # stop_pid PID NAME: TERM, up to 20 s, then KILL
  alive "$1" || return 0
  kill -TERM "$1" 2>/dev/null
  for _ in $(seq 40); do alive "$1" || return 0; sleep 0.5; done
  log "$2 (pid $1) ignored SIGTERM for 20 s; killing it"
  kill -KILL "$1" 2>/dev/null
  sleep 0.5
}

sweep() { # kill every process (but this shell) that carries this run's tag
  local list pid pids=()
  list=$(mktemp)
  env -u REPGEOM_LOCAL_SLURM grep -lzxF "REPGEOM_LOCAL_SLURM=$TAG" /proc/[0-9]*/environ \
    >"$list" 2>/dev/null
  while read -r f; do
    pid=${f#/proc/}; pid=${pid%/environ}
    [ "$pid" = $$ ] || pids+=("$pid")
  done <"$list"
  rm -f "$list"
  [ ${#pids[@]} -gt 0 ] || return 0
  for pid in "${pids[@]}"; do
    log "left over: pid $pid $(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | head -c 120)"
  done
  kill -TERM "${pids[@]}" 2>/dev/null
  sleep 2
  kill -KILL "${pids[@]}" 2>/dev/null
  sleep 0.5
}

cleanup() {
  local rc=$? i pid f
  set +e
  trap '' TERM INT HUP
  trap - EXIT
  [ -n "$POLICY_RC" ] && rm -f "$POLICY_RC"
  if alive "$WORKFLOW_PID"; then
    log "stopping the workflow (pid $WORKFLOW_PID)"
    stop_pid "$WORKFLOW_PID" snakemake
  fi
  if [ ${#DAEMONS[@]} -gt 0 ]; then
    if alive "$CTLD_PID" && [ -n "$(timeout 10 squeue -h -o %i 2>/dev/null)" ]; then
      log "cancelling the jobs still queued or running"
      timeout 10 scancel -u root 2>/dev/null
      for _ in $(seq 20); do [ -z "$(timeout 5 squeue -h -o %i 2>/dev/null)" ] && break; sleep 0.5; done
    fi
    log "stopping the daemons"
    for ((i = ${#DAEMONS[@]} - 1; i >= 0; i--)); do
      pid=${DAEMONS[i]}
      stop_pid "$pid" "${NAME[$pid]}"
    done
  fi
  sweep
  if [ -n "$PREFIX" ] && [ -d "$PREFIX" ]; then
    if [ "$rc" != 0 ] && [ "$WORKFLOW_STARTED" = 0 ] && [ -d "$PREFIX/log" ]; then
      for f in "$PREFIX"/log/*; do # the cluster did not come up: say why
        [ -s "$f" ] && { log "--- tail of $f"; tail -n 5 "$f" >&2; }
      done
    fi
    [ "$rc" != 0 ] && [ "$OWN_PREFIX" = 0 ] && log "daemon logs: $PREFIX/log, jobs' logs: $WORKDIR/.snakemake/slurm_logs"
    rm -rf "$PREFIX/state" "$PREFIX/run" "$PREFIX/etc/munge.key"
    if [ -f "$PREFIX/outside" ]; then
      while read -r f; do [ -n "$f" ] && rm -rf "$f"; done <"$PREFIX/outside"
    fi
    [ "$OWN_PREFIX" = 1 ] && rm -rf "$PREFIX"
  fi
  log "cleaned up (exit status $rc)"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 143' TERM
trap 'exit 130' INT
trap 'exit 129' HUP

need=()
for bin in slurmctld slurmd slurmdbd munged mariadbd sacct; do
  command -v "$bin" >/dev/null || need+=("$bin")
done
if [ ${#need[@]} -gt 0 ]; then
  log "installing slurm-wlm slurmdbd munge mariadb-server (missing: ${need[*]})"
  export DEBIAN_FRONTEND=noninteractive
  if [ ! -e /usr/sbin/policy-rc.d ]; then # keep apt from starting the system's daemons
    POLICY_RC=/usr/sbin/policy-rc.d
    printf '#!/bin/sh\nexit 101\n' >"$POLICY_RC" && chmod 755 "$POLICY_RC"
  fi
  apt-get install -y --no-install-recommends slurm-wlm slurmdbd munge mariadb-server >/dev/null \
    || { apt-get update >/dev/null && apt-get install -y --no-install-recommends \
           slurm-wlm slurmdbd munge mariadb-server >/dev/null; } \
    || { log "could not install the packages (no package index reachable?)"; exit 100; }
  [ -n "$POLICY_RC" ] && rm -f "$POLICY_RC"
  POLICY_RC=""
fi
[ "$INSTALL_ONLY" = 0 ] || exit 0

for f in /etc/slurm/slurm.conf /etc/slurm/slurmdbd.conf; do
  if [ -e "$f" ] && grep -qF "$MARK" "$f"; then
    log "note: $f is a leftover of an older version of this script (it is not used); delete it by hand"
  fi
done

if [ -n "$PREFIX_ARG" ]; then
  PREFIX=$(realpath -m "$PREFIX_ARG")
  if [ -e "$PREFIX" ] && [ -n "$(ls -A "$PREFIX")" ]; then
    log "$PREFIX is not empty; refusing to use it"; PREFIX=""; exit 2
  fi
  mkdir -p "$PREFIX"
else
  PREFIX=$(mktemp -d /tmp/repgeom-slurm-prefix.XXXXXX)
  OWN_PREFIX=1
fi
ETC=$PREFIX/etc STATE=$PREFIX/state LOG=$PREFIX/log
: >"$PREFIX/pids"
: >"$PREFIX/outside"
# RUN holds the sockets: munged's, MariaDB's, and slurmd's spool, where each job step gets
# one (RUN/slurmd/localhost_JOBID.STEPID). Unix socket paths are limited to 107 bytes.
RUN=$PREFIX/run
if [ ${#RUN} -gt 60 ]; then
  RUN=$(mktemp -d /tmp/rgslurm.XXXXXX)
  echo "$RUN" >>"$PREFIX/outside"
fi
mkdir -p "$ETC" "$STATE"/{spool,mysql,mysql-tmp} "$LOG" "$RUN/slurmd"
chmod 700 "$ETC" "$STATE" "$RUN"

start() { # start NAME CMD...: a daemon in the foreground, as a background job of this script
  local name=$1 pid stat
  shift
  "$@" </dev/null >>"$LOG/$name.out" 2>&1 &
  pid=$!
  DAEMONS+=("$pid")
  NAME[$pid]=$name
  stat=$(cat "/proc/$pid/stat" 2>/dev/null) || stat=""
  stat=${stat##*) }
  # shellcheck disable=SC2086
  set -- $stat
  echo "$name $pid ${20:-?}" >>"$PREFIX/pids" # field 22 of /proc/PID/stat: start time
}

wait_for() { # wait_for NAME SECONDS CMD...: until CMD succeeds, while NAME's daemon lives
  local name=$1 deadline=$((SECONDS + $2)) pid=${DAEMONS[-1]}
  shift 2
  until "$@" >/dev/null 2>&1; do
    alive "$pid" || { log "$name died (see $LOG)"; return 1; }
    [ "$SECONDS" -lt "$deadline" ] || { log "$name did not come up in time (see $LOG)"; return 1; }
    sleep 0.5
  done
}

# Four free TCP ports (outside the ephemeral range): slurmctld, slurmd, slurmdbd, MariaDB.
read -r CTLD_PORT SLURMD_PORT DBD_PORT DB_PORT < <("$PYTHON" - <<'PY'
import random, socket
ports = []
for port in random.sample(range(20000, 32000), 400):
    with socket.socket() as s:
        try:
            s.bind(("", port))
        except OSError:
            continue
    ports.append(port)
    if len(ports) == 4:
        break
print(*ports)
PY
)
[ -n "$DB_PORT" ] || { log "found no free TCP ports"; exit 1; }

mem_mb=$(( $(free -m | awk '/^Mem:/ {print $2}') - 2048 ))
cpus=$(nproc)
export SLURM_CONF=$ETC/slurm.conf # clients, slurmctld, slurmd; slurmdbd reads slurmdbd.conf next to it
cat >"$SLURM_CONF" <<CONF
$MARK
ClusterName=localcluster
SlurmctldHost=localhost
SlurmctldPort=$CTLD_PORT
SlurmdPort=$SLURMD_PORT
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=$RUN/munge.sock
CredType=cred/munge
StateSaveLocation=$STATE/spool
SlurmdSpoolDir=$RUN/slurmd
SlurmctldPidFile=$RUN/slurmctld.pid
SlurmdPidFile=$RUN/slurmd.pid
SlurmctldLogFile=$LOG/slurmctld.log
SlurmdLogFile=$LOG/slurmd.log
PlugStackConfig=$ETC/plugstack.conf
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
ReturnToService=2
MpiDefault=none
MinJobAge=300
AccountingStorageType=accounting_storage/slurmdbd
AccountingStorageHost=localhost
AccountingStoragePort=$DBD_PORT
# For connections to slurmdbd, Slurm takes the munge socket from here, not from AuthInfo.
AccountingStoragePass=$RUN/munge.sock
AccountingStorageEnforce=associations
JobAcctGatherType=jobacct_gather/linux
JobAcctGatherFrequency=5
JobCompType=jobcomp/none
NodeName=localhost CPUs=$cpus RealMemory=$mem_mb State=UNKNOWN
PartitionName=debug Nodes=localhost Default=YES MaxTime=INFINITE State=UP
CONF
: >"$ETC/plugstack.conf"
(umask 077 && cat >"$ETC/slurmdbd.conf" <<CONF
$MARK
AuthType=auth/munge
AuthInfo=socket=$RUN/munge.sock
DbdHost=localhost
DbdPort=$DBD_PORT
SlurmUser=root
PidFile=$RUN/slurmdbd.pid
LogFile=$LOG/slurmdbd.log
StorageType=accounting_storage/mysql
StorageHost=127.0.0.1
StoragePort=$DB_PORT
StorageUser=slurm
StoragePass=repgeom-local
StorageLoc=slurm_acct_db
CONF
)
export SLURMDBD_CONF=$ETC/slurmdbd.conf

log "starting munged (socket $RUN/munge.sock)"
if command -v mungekey >/dev/null; then
  mungekey --create --keyfile="$ETC/munge.key"
else
  (umask 077 && dd if=/dev/urandom of="$ETC/munge.key" bs=1024 count=1 2>/dev/null)
fi
# -f: the socket's ancestors (e.g. pytest's 0700 tmp dir) are not world-executable; only
# root uses this munged.
start munged munged -F -f --socket="$RUN/munge.sock" --key-file="$ETC/munge.key" \
  --pid-file="$RUN/munged.pid" --log-file="$LOG/munged.log" --seed-file="$STATE/munged.seed"
wait_for munged 30 munge -n -S "$RUN/munge.sock"

log "starting MariaDB (port $DB_PORT)"
mariadb-install-db --no-defaults --user=root --datadir="$STATE/mysql" \
  --auth-root-authentication-method=socket --skip-test-db >"$LOG/mariadb-install-db.log" 2>&1
start mariadbd mariadbd --no-defaults --user=root --datadir="$STATE/mysql" \
  --socket="$RUN/mysqld.sock" --pid-file="$RUN/mysqld.pid" --port="$DB_PORT" \
  --bind-address=127.0.0.1 --tmpdir="$STATE/mysql-tmp" --log-error="$LOG/mariadbd.log" \
  --innodb-buffer-pool-size=64M
sql() { mariadb --no-defaults --socket="$RUN/mysqld.sock" -u root -e "$1"; }
wait_for mariadbd 60 sql "select 1"
sql "CREATE USER 'slurm'@'127.0.0.1' IDENTIFIED BY 'repgeom-local';
     CREATE USER 'slurm'@'localhost' IDENTIFIED BY 'repgeom-local';
     GRANT ALL ON slurm_acct_db.* TO 'slurm'@'127.0.0.1';
     GRANT ALL ON slurm_acct_db.* TO 'slurm'@'localhost'; FLUSH PRIVILEGES;"

log "starting slurmdbd (port $DBD_PORT), registering cluster / account / user"
start slurmdbd slurmdbd -D
wait_for slurmdbd 60 timeout 10 sacctmgr -n list cluster
timeout 60 sacctmgr -i add cluster localcluster >/dev/null
timeout 60 sacctmgr -i add account repgeom Cluster=localcluster Description=repgeom Organization=repgeom >/dev/null
timeout 60 sacctmgr -i add user root Account=repgeom Cluster=localcluster >/dev/null

log "starting slurmctld (port $CTLD_PORT) and slurmd (port $SLURMD_PORT)"
start slurmctld slurmctld -D -f "$SLURM_CONF"
CTLD_PID=${DAEMONS[-1]}
wait_for slurmctld 60 timeout 10 sinfo -h
start slurmd slurmd -D -f "$SLURM_CONF"
node_idle() { [ "$(timeout 10 sinfo -h -o %t 2>/dev/null)" = idle ]; }
wait_for slurmd 60 node_idle
sinfo

# Inside each job, snakemake-executor-plugin-slurm-jobstep runs the rule through a nested
# `srun` with every SLURM_* variable but the job's identity removed from its environment --
# SLURM_CONF included -- so that srun looks for /etc/slurm/slurm.conf (where a real cluster
# has it). This cluster's config is not there, so an `srun` early on the jobs' PATH (sbatch
# exports the environment) puts SLURM_CONF back.
mkdir -p "$STATE/bin"
cat >"$STATE/bin/srun" <<SH
#!/bin/sh
SLURM_CONF='$SLURM_CONF' exec '$(command -v srun)' "\$@"
SH
chmod 755 "$STATE/bin/srun"
export PATH=$STATE/bin:$PATH

log "running the workflow through the SLURM executor in $WORKDIR"
WORKFLOW_STARTED=1
mkdir -p "$WORKDIR"
export REPGEOM_PARTITION=debug REPGEOM_ACCOUNT=repgeom
start=$(date +%s)
# A background job and `wait`, so that a SIGTERM to this script is handled at once.
timeout -k 10 "$WORKFLOW_TIMEOUT" "$PYTHON" -m snakemake --snakefile "$REPO/Snakefile" \
  --directory "$WORKDIR" --configfile "$CONFIG" --profile "$REPO/workflow/profiles/slurm" \
  --slurm-init-seconds-before-status-checks 2 --seconds-between-status-checks 2 \
  --latency-wait 10 --jobs 4 </dev/null &
WORKFLOW_PID=$!
status=0
wait "$WORKFLOW_PID" || status=$?
WORKFLOW_PID=""
[ "$status" = 0 ] || { log "the workflow failed (exit status $status)"; exit "$status"; }
log "workflow finished in $(( $(date +%s) - start )) s"

since=$(date -d @"$start" +%Y-%m-%dT%H:%M:%S)
timeout 60 sacct -X -n -P -S "$since" -o JobID,JobName,Account,State,Elapsed,MaxRSS >"$WORKDIR/sacct.txt"
timeout 60 sacct -n -P -S "$since" -o JobID,JobName,State,Elapsed,MaxRSS >>"$WORKDIR/sacct_steps.txt"
cat "$WORKDIR/sacct.txt"
jobs=$(grep -c . "$WORKDIR/sacct.txt" || true)
done_jobs=$(grep -c "|COMPLETED" "$WORKDIR/sacct.txt" || true)
log "sacct: $done_jobs of $jobs jobs COMPLETED"
[ "$jobs" -gt 0 ] && [ "$jobs" = "$done_jobs" ]
