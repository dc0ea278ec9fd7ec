#!/usr/bin/env bash
# Start a single-node SLURM on this machine, with accounting, for trying and testing
# `snakemake --profile profiles/slurm` (README: "Running on a cluster (SLURM)").
#
#   cluster/slurm/start.sh     install what is missing (install.sh; Debian, as root), start, wait until ready
#   cluster/slurm/status.sh    exit 0 when every daemon runs
#   cluster/slurm/stop.sh      stop exactly the processes start.sh started
#
# Debian's packages (slurm-wlm, slurmdbd, munge, mariadb-server), without systemd: MariaDB
# (the accounting store), munged (as the munge user), slurmdbd, slurmctld and slurmd run directly,
# each in the foreground of its own session, each recorded by pid in $STATE/pids. Their state
# lives in $STATE (DISENTANGLE_SLURM_STATE, default /tmp/disentangle-slurm: configuration, munge key
# and socket, database, spool, logs); the only file outside it is the link /etc/slurm/slurm.conf ->
# $STATE/etc/slurm.conf (see below), made only where no slurm.conf is, removed by stop.sh.
# cgroup-free (proctrack/linuxproc, task/none). One node with this machine's CPUs and 90 % of its
# available memory, partition $PARTITION, and account $ACCOUNT for the calling user in the
# accounting database (the slurm plugin checks the account with sacctmgr and follows jobs with sacct).
# Starting it again while it runs says so and changes nothing.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/common.sh"

done_msg() {
  say "ready: node $NODE ($(nproc) CPUs), partition $PARTITION, account $ACCOUNT; daemon logs in $STATE/log"
  say "try: sinfo; snakemake --profile profiles/slurm --profile profiles/slurm-test"
}

running=""; stopped=""
for daemon in $DAEMONS; do
  if alive_pid "$daemon" >/dev/null; then running="$running $daemon"; else stopped="$stopped $daemon"; fi
done
if [ -z "$stopped" ]; then
  say "already running (pids in $STATE/pids)"
  done_msg
  exit 0
fi
if [ -n "$running" ]; then
  echo "slurm: partly running ($running up;$stopped down): run cluster/slurm/stop.sh first" >&2
  exit 1
fi

# From here on, a failure stops what this call started (nothing ran before it).
trap 'rc=$?; if [ $rc != 0 ]; then say "start failed (exit $rc): stopping what it started"; "$HERE/stop.sh"; fi' EXIT

# --- packages ---------------------------------------------------------------------------------
"$HERE/install.sh"
if [ "$(id -u)" != 0 ]; then
  echo "slurm: starting the daemons needs root (munged and mariadbd switch to their own users)" >&2
  exit 2
fi

# --- state directory and configuration ----------------------------------------------------------
rm -rf "$STATE/pids" "$STATE/run"
mkdir -p "$STATE"/{etc,pids,run,log,slurmctld,slurmd,munge,mysql}
chmod 755 "$STATE"
CPUS=$(nproc)
# RealMemory: 90 % of the memory available now (slurmd refuses a node claiming more than it has)
AVAILABLE_MB=$(awk '/MemAvailable/ {print int($2 / 1024)}' /proc/meminfo)
MEMORY_MB=$((AVAILABLE_MB * 9 / 10))
USER_NAME=$(id -un)

cat > "$STATE/etc/slurm.conf" <<EOF
# Written by cluster/slurm/start.sh: one node, cgroup-free, accounting in slurmdbd.
ClusterName=$CLUSTER
SlurmctldHost=$(hostname -s)(127.0.0.1)
SlurmctldPort=$CTLD_PORT
SlurmdPort=$SLURMD_PORT
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=$STATE/munge/munge.socket
CredType=cred/munge
StateSaveLocation=$STATE/slurmctld
SlurmdSpoolDir=$STATE/slurmd
SlurmctldPidFile=$STATE/run/slurmctld.pid
SlurmdPidFile=$STATE/run/slurmd.pid
SlurmctldLogFile=$STATE/log/slurmctld.log
SlurmdLogFile=$STATE/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/linux
MpiDefault=none
SwitchType=switch/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU_Memory
AccountingStorageType=accounting_storage/slurmdbd
AccountingStorageHost=localhost
AccountingStoragePort=$DBD_PORT
# with slurmdbd and munge, the munge socket the client commands use to reach slurmdbd
AccountingStoragePass=$STATE/munge/munge.socket
AccountingStorageEnforce=associations
JobCompType=jobcomp/none
ReturnToService=2
MinJobAge=300
MailProg=/bin/true
# sacct shows the comment the slurm plugin gives each job (rule_<rule>_wildcards_<...>)
AccountingStoreFlags=job_comment
SlurmdTimeout=300
NodeName=$NODE NodeAddr=127.0.0.1 CPUs=$CPUS RealMemory=$MEMORY_MB State=UNKNOWN
PartitionName=$PARTITION Nodes=$NODE Default=YES MaxTime=INFINITE State=UP
EOF
# No cgroup plugin is used (proctrack/linuxproc, task/none); slurmd 22.05 still reads cgroup.conf.
cat > "$STATE/etc/cgroup.conf" <<EOF
CgroupAutomount=no
ConstrainCores=no
ConstrainRAMSpace=no
EOF

DB_PASSWORD_FILE="$STATE/etc/db_password"
[ -s "$DB_PASSWORD_FILE" ] || (umask 077; head -c 24 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' > "$DB_PASSWORD_FILE")
DB_PASSWORD=$(cat "$DB_PASSWORD_FILE")
(umask 077; cat > "$STATE/etc/slurmdbd.conf" <<EOF
AuthType=auth/munge
AuthInfo=socket=$STATE/munge/munge.socket
DbdHost=localhost
DbdPort=$DBD_PORT
SlurmUser=root
LogFile=$STATE/log/slurmdbd.log
PidFile=$STATE/run/slurmdbd.pid
StorageType=accounting_storage/mysql
StorageHost=127.0.0.1
StoragePort=$DB_PORT
StorageUser=slurm
StoragePass=$DB_PASSWORD
StorageLoc=slurm_acct_db
EOF
)
chmod 600 "$STATE/etc/slurmdbd.conf"

# munge: a key of our own, its socket in the state directory (nothing shared with a system munged)
chown munge:munge "$STATE/munge"
chmod 755 "$STATE/munge"
if [ ! -s "$STATE/munge/munge.key" ]; then
  setpriv --reuid munge --regid munge --init-groups mungekey --create --keyfile "$STATE/munge/munge.key"
fi

# The client commands inside a job must find slurm.conf without SLURM_CONF: the slurm plugin's job
# step (snakemake-executor-plugin-slurm-jobstep) removes every SLURM_* variable but the job's ids
# from the environment of the inner srun. So the default path, /etc/slurm/slurm.conf, links to ours
# (only where nothing is there; stop.sh removes the link).
if [ -L "$CONF_LINK" ] && [ "$(readlink "$CONF_LINK")" = "$SLURM_CONF" ]; then
  :
elif [ -e "$CONF_LINK" ] || [ -L "$CONF_LINK" ]; then
  echo "slurm: $CONF_LINK exists and is not this script's: a SLURM seems configured on this machine already; use it, or move that file away" >&2
  exit 1
else
  mkdir -p "$(dirname "$CONF_LINK")"
  ln -s "$SLURM_CONF" "$CONF_LINK"
fi

# --- daemons ------------------------------------------------------------------------------------
# Each runs in the foreground of its own session (setsid execs it, so $! is the daemon's pid), its
# output in $STATE/log; the pid goes to $STATE/pids/<name>.pid.
launch() {
  local name=$1; shift
  setsid "$@" >>"$STATE/log/$name.out" 2>&1 < /dev/null &
  echo $! > "$STATE/pids/$name.pid"
}
wait_for() {  # wait_for NAME SECONDS COMMAND...: until COMMAND succeeds, while NAME stays alive
  local name=$1 seconds=$2; shift 2
  local deadline=$((SECONDS + seconds))
  until "$@" >/dev/null 2>&1; do
    if ! alive_pid "$name" >/dev/null; then
      echo "slurm: $name exited; the end of $STATE/log/$name.*:" >&2
      tail -n 20 "$STATE/log/$name".* >&2 || true
      exit 1
    fi
    if [ $SECONDS -ge $deadline ]; then
      echo "slurm: $name not ready after ${seconds} s; the end of $STATE/log/$name.*:" >&2
      tail -n 20 "$STATE/log/$name".* >&2 || true
      exit 1
    fi
    sleep 1
  done
}

DATADIR="$STATE/mysql/data"
MYSQL_SOCKET="$STATE/mysql/mysqld.sock"
chown mysql:mysql "$STATE/mysql"
if [ ! -d "$DATADIR/mysql" ]; then
  say "creating the accounting database in $DATADIR"
  mariadb-install-db --user=mysql --datadir="$DATADIR" --auth-root-authentication-method=socket \
    --skip-test-db >"$STATE/log/mariadb-install.log" 2>&1
fi
launch mariadb mariadbd --no-defaults --user=mysql --datadir="$DATADIR" --socket="$MYSQL_SOCKET" \
  --pid-file="$STATE/mysql/mariadbd.pid" --bind-address=127.0.0.1 --port="$DB_PORT" \
  --log-error="$STATE/log/mariadb.log" --innodb-buffer-pool-size=256M --innodb-lock-wait-timeout=900 --skip-name-resolve
wait_for mariadb 60 mariadb --no-defaults --socket="$MYSQL_SOCKET" -uroot -e "SELECT 1"
mariadb --no-defaults --socket="$MYSQL_SOCKET" -uroot <<EOF
CREATE DATABASE IF NOT EXISTS slurm_acct_db;
CREATE USER IF NOT EXISTS 'slurm'@'127.0.0.1' IDENTIFIED BY '$DB_PASSWORD';
ALTER USER 'slurm'@'127.0.0.1' IDENTIFIED BY '$DB_PASSWORD';
GRANT ALL ON slurm_acct_db.* TO 'slurm'@'127.0.0.1';
FLUSH PRIVILEGES;
EOF

launch munged setpriv --reuid munge --regid munge --init-groups munged --foreground \
  --socket="$STATE/munge/munge.socket" --key-file="$STATE/munge/munge.key" \
  --pid-file="$STATE/munge/munged.pid" --log-file="$STATE/munge/munged.log" --seed-file="$STATE/munge/munged.seed"
wait_for munged 30 sh -c "munge --socket='$STATE/munge/munge.socket' -n | unmunge --socket='$STATE/munge/munge.socket'"

launch slurmdbd slurmdbd -D
wait_for slurmdbd 60 sacctmgr -i list cluster

# The cluster, the account and the calling user's association, before slurmctld registers.
sacctmgr -i -Q add cluster "$CLUSTER" >/dev/null 2>&1 || true
sacctmgr -i -Q add account "$ACCOUNT" Cluster="$CLUSTER" Description="disentangle test account" Organization=local >/dev/null 2>&1 || true
sacctmgr -i -Q add user "$USER_NAME" Account="$ACCOUNT" Cluster="$CLUSTER" DefaultAccount="$ACCOUNT" >/dev/null 2>&1 || true
sacctmgr -n -P list association cluster="$CLUSTER" account="$ACCOUNT" user="$USER_NAME" format=user | grep -qx "$USER_NAME" || {
  echo "slurm: could not create the association of $USER_NAME with account $ACCOUNT in slurmdbd" >&2
  exit 1
}

launch slurmctld slurmctld -D -i
wait_for slurmctld 60 scontrol ping
launch slurmd slurmd -D -N "$NODE"
wait_for slurmd 90 sh -c "sinfo -h -n '$NODE' -o %t | grep -Eq '^(idle|mix|alloc)'"
wait_for slurmdbd 60 sacct -n -X --starttime now-1minutes
done_msg
