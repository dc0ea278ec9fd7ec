#!/usr/bin/env bash
# Exit 0 when every daemon of start.sh runs (recorded pid alive), 1 otherwise; lists each one.
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/common.sh"

up=0; total=0
for daemon in $DAEMONS; do
  total=$((total + 1))
  if pid=$(alive_pid "$daemon"); then echo "$daemon: running ($pid)"; up=$((up + 1)); else echo "$daemon: stopped"; fi
done
echo "SLURM_CONF=$SLURM_CONF"
[ "$up" = "$total" ]
