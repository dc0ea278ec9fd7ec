# Shared by start.sh, stop.sh and status.sh (sourced): where the single-node SLURM keeps its state.
# Every path, port and name can be set from the environment before calling the scripts.
STATE=${DISENTANGLE_SLURM_STATE:-/tmp/disentangle-slurm}
CLUSTER=${DISENTANGLE_SLURM_CLUSTER:-disentangle}
ACCOUNT=${DISENTANGLE_SLURM_ACCOUNT:-disentangle}
PARTITION=${DISENTANGLE_SLURM_PARTITION:-debug}
NODE=${DISENTANGLE_SLURM_NODE:-$(hostname -s)}
DB_PORT=${DISENTANGLE_SLURM_DB_PORT:-13306}
CTLD_PORT=${DISENTANGLE_SLURM_CTLD_PORT:-16817}
SLURMD_PORT=${DISENTANGLE_SLURM_SLURMD_PORT:-16818}
DBD_PORT=${DISENTANGLE_SLURM_DBD_PORT:-16819}
# The daemons, in start order (stop.sh stops them in reverse).
DAEMONS="mariadb munged slurmdbd slurmctld slurmd"
export SLURM_CONF="$STATE/etc/slurm.conf"
# The default slurm.conf path of Debian's SLURM, linked to ours while it runs (see start.sh).
CONF_LINK=/etc/slurm/slurm.conf

say() { echo "slurm: $*" >&2; }

# The recorded pid of a daemon, if that process is still alive.
alive_pid() {
  local file="$STATE/pids/$1.pid" pid
  [ -s "$file" ] || return 1
  pid=$(cat "$file")
  kill -0 "$pid" 2>/dev/null && echo "$pid"
}
