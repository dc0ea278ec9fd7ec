#!/usr/bin/env bash
# Stop the single-node SLURM of start.sh: exactly the processes whose pids it recorded in
# $STATE/pids, in reverse start order, each waited for (TERM, then KILL after 30 s). The state
# directory (database, logs, job records) is kept; `rm -rf $STATE` removes it.
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/common.sh"

order=""
for daemon in $DAEMONS; do order="$daemon $order"; done
stopped=0
for daemon in $order; do
  pid=$(alive_pid "$daemon") || { rm -f "$STATE/pids/$daemon.pid"; continue; }
  kill -TERM "$pid" 2>/dev/null
  for _ in $(seq 1 60); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.5
  done
  if kill -0 "$pid" 2>/dev/null; then
    say "$daemon ($pid) still running after 30 s: KILL"
    kill -KILL "$pid" 2>/dev/null
    sleep 1
  fi
  rm -f "$STATE/pids/$daemon.pid"
  say "stopped $daemon ($pid)"
  stopped=$((stopped + 1))
done
if [ -L "$CONF_LINK" ] && [ "$(readlink "$CONF_LINK")" = "$SLURM_CONF" ]; then
  rm -f "$CONF_LINK"
  say "removed the link $CONF_LINK"
fi
[ "$stopped" -gt 0 ] || say "nothing to stop (no live pid recorded in $STATE/pids)"
