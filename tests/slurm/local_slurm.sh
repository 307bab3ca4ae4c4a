#!/usr/bin/env bash
# A real single-node Slurm cluster on this machine, with accounting, and the workflow run
# through it with workflow/profiles/slurm (snakemake-executor-plugin-slurm).
#
#   sudo bash tests/slurm/local_slurm.sh [CONFIG] [WORKDIR]
#
# Needs root and Debian/Ubuntu packages (installed here if missing): slurm-wlm, slurmdbd,
# munge, mariadb-server. It writes /etc/slurm/{slurm,slurmdbd}.conf (refusing to overwrite
# files it did not write), starts munged, MariaDB, slurmdbd, slurmctld and slurmd on
# localhost, registers cluster `localcluster`, account `repgeom` and user root, runs the
# workflow on CONFIG (default: tests/workflow/tiny.yaml) in WORKDIR, checks that every job
# shows up in `sacct` as COMPLETED, and stops the daemons again.
# Accounting (slurmdbd) is what makes `sacct` work: without it the plugin's sacct polling
# waits forever (../shared/notes/local-slurm.md).
set -euo pipefail

REPO=$(cd "$(dirname "$0")/../.." && pwd)
CONFIG=$(realpath "${1:-$REPO/tests/workflow/tiny.yaml}")
WORKDIR=$(realpath -m "${2:-$(mktemp -d /tmp/repgeom-slurm.XXXXXX)}")
PYTHON=${PYTHON:-$REPO/.venv/bin/python}
STATE=/var/tmp/repgeom-slurm
MARK="# written by repgeom tests/slurm/local_slurm.sh"

log() { echo "[local-slurm] $*" >&2; }

[ "$(id -u)" = 0 ] || { log "run as root (it installs packages and starts daemons)"; exit 2; }

need=()
for bin in slurmctld slurmd slurmdbd munged mariadbd sacct; do
  command -v "$bin" >/dev/null || need+=("$bin")
done
if [ ${#need[@]} -gt 0 ]; then
  log "installing slurm-wlm slurmdbd munge mariadb-server (missing: ${need[*]})"
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y --no-install-recommends slurm-wlm slurmdbd munge mariadb-server >/dev/null \
    || { apt-get update >/dev/null && apt-get install -y --no-install-recommends \
           slurm-wlm slurmdbd munge mariadb-server >/dev/null; } \
    || { log "could not install the packages (no package index reachable?)"; exit 100; }
fi

for f in /etc/slurm/slurm.conf /etc/slurm/slurmdbd.conf; do
  if [ -e "$f" ] && ! grep -qF "$MARK" "$f"; then
    log "$f exists and was not written by this script; refusing to overwrite it"; exit 2
  fi
done

stop_all() {
  for pid in "$STATE"/slurmd.pid "$STATE"/slurmctld.pid "$STATE"/slurmdbd.pid; do
    [ -f "$pid" ] && kill "$(cat "$pid")" 2>/dev/null || true
  done
  [ -f /run/mysqld/repgeom.pid ] && kill "$(cat /run/mysqld/repgeom.pid)" 2>/dev/null || true
  [ -f /run/munge/munged.pid ] && kill "$(cat /run/munge/munged.pid)" 2>/dev/null || true
  sleep 1
}
trap stop_all EXIT
stop_all
rm -rf "$STATE" && mkdir -p "$STATE"/{spool,slurmd} /etc/slurm

mem_mb=$(( $(free -m | awk '/^Mem:/ {print $2}') - 2048 ))
cpus=$(nproc)
cat > /etc/slurm/slurm.conf <<CONF
$MARK
ClusterName=localcluster
SlurmctldHost=localhost
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
StateSaveLocation=$STATE/spool
SlurmdSpoolDir=$STATE/slurmd
SlurmctldPidFile=$STATE/slurmctld.pid
SlurmdPidFile=$STATE/slurmd.pid
SlurmctldLogFile=$STATE/slurmctld.log
SlurmdLogFile=$STATE/slurmd.log
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
AccountingStorageEnforce=associations
JobAcctGatherType=jobacct_gather/linux
JobAcctGatherFrequency=5
JobCompType=jobcomp/none
NodeName=localhost CPUs=$cpus RealMemory=$mem_mb State=UNKNOWN
PartitionName=debug Nodes=localhost Default=YES MaxTime=INFINITE State=UP
CONF
cat > /etc/slurm/slurmdbd.conf <<CONF
$MARK
AuthType=auth/munge
DbdHost=localhost
SlurmUser=root
PidFile=$STATE/slurmdbd.pid
LogFile=$STATE/slurmdbd.log
StorageType=accounting_storage/mysql
StorageHost=localhost
StorageUser=slurm
StoragePass=repgeom-local
StorageLoc=slurm_acct_db
CONF
chmod 600 /etc/slurm/slurmdbd.conf

log "starting munged"
install -d -o munge -g munge /run/munge
[ -s /etc/munge/munge.key ] || { mungekey --create 2>/dev/null || create-munge-key; }
runuser -u munge -- /usr/sbin/munged

log "starting MariaDB"
install -d -o mysql -g mysql /run/mysqld "$STATE/mysql"
mariadb-install-db --user=mysql --datadir="$STATE/mysql" >/dev/null
mariadbd --user=mysql --datadir="$STATE/mysql" --socket=/run/mysqld/mysqld.sock \
  --pid-file=/run/mysqld/repgeom.pid --skip-networking=0 --bind-address=127.0.0.1 \
  >"$STATE/mariadb.log" 2>&1 &
for _ in $(seq 60); do mariadb -e "select 1" >/dev/null 2>&1 && break; sleep 0.5; done
mariadb -e "CREATE USER IF NOT EXISTS 'slurm'@'localhost' IDENTIFIED BY 'repgeom-local';
            GRANT ALL ON slurm_acct_db.* TO 'slurm'@'localhost'; FLUSH PRIVILEGES;"

log "starting slurmdbd, registering cluster / account / user"
slurmdbd
for _ in $(seq 60); do sacctmgr -n list cluster >/dev/null 2>&1 && break; sleep 0.5; done
sacctmgr -i add cluster localcluster >/dev/null
sacctmgr -i add account repgeom Cluster=localcluster Description=repgeom Organization=repgeom >/dev/null
sacctmgr -i add user root Account=repgeom Cluster=localcluster >/dev/null

log "starting slurmctld and slurmd"
slurmctld
slurmd
for _ in $(seq 60); do [ "$(sinfo -h -o %t 2>/dev/null)" = idle ] && break; sleep 0.5; done
sinfo

log "running the workflow through the SLURM executor in $WORKDIR"
mkdir -p "$WORKDIR"
export REPGEOM_PARTITION=debug REPGEOM_ACCOUNT=repgeom
start=$(date +%s)
timeout -k 10 1500 "$PYTHON" -m snakemake --snakefile "$REPO/Snakefile" --directory "$WORKDIR" \
  --configfile "$CONFIG" --profile "$REPO/workflow/profiles/slurm" \
  --slurm-init-seconds-before-status-checks 2 --seconds-between-status-checks 2 \
  --latency-wait 10 --jobs 4
log "workflow finished in $(( $(date +%s) - start )) s"

sacct -X -n -P -S "$(date -d @"$start" +%Y-%m-%dT%H:%M:%S)" -o JobID,JobName,Account,State,Elapsed,MaxRSS \
  > "$WORKDIR/sacct.txt"
sacct -n -P -S "$(date -d @"$start" +%Y-%m-%dT%H:%M:%S)" -o JobID,JobName,State,Elapsed,MaxRSS >> "$WORKDIR/sacct_steps.txt"
cat "$WORKDIR/sacct.txt"
jobs=$(grep -c . "$WORKDIR/sacct.txt" || true)
done_jobs=$(grep -c "|COMPLETED" "$WORKDIR/sacct.txt" || true)
log "sacct: $done_jobs of $jobs jobs COMPLETED"
[ "$jobs" -gt 0 ] && [ "$jobs" = "$done_jobs" ]
