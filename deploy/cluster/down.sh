#!/usr/bin/env bash
# Remove everything up.sh made: its processes (by their recorded ids), namespaces, veths,
# bridge and $CLUSTER_DIR; with CLUSTER_PURGE=true also its database and queues (a job
# message left unacknowledged would otherwise be redelivered to the next cluster).
# Safe to run twice, or after a half-finished up.sh.
set -uo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source=env.sh
source "$here/env.sh"

if [ -d "$CLUSTER_DIR/pids" ]; then
  for pidfile in "$CLUSTER_DIR"/pids/*.pid; do
    [ -e "$pidfile" ] || continue
    pid=$(cat "$pidfile")
    kill -TERM -- "-$pid" 2>/dev/null  # the whole session started for it (setsid)
  done
  for pidfile in "$CLUSTER_DIR"/pids/*.pid; do
    [ -e "$pidfile" ] || continue
    pid=$(cat "$pidfile")
    for _ in $(seq 50); do kill -0 -- "-$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL -- "-$pid" 2>/dev/null
  done
fi
for host in "${CLUSTER_HOSTS[@]}"; do
  ip link del "mc-$host" 2>/dev/null
  ip netns del "$host" 2>/dev/null
done
ip link del "$CLUSTER_BRIDGE" 2>/dev/null
# The store and the queues outlive the cluster (the deployment's state) unless asked.
if [ "${CLUSTER_PURGE:-false}" = true ]; then
  psql -h 127.0.0.1 -U postgres -qc "DROP DATABASE IF EXISTS \"$CLUSTER_DB\" WITH (FORCE)" >/dev/null
  if command -v rabbitmqctl >/dev/null; then
    for queue in "$CLUSTER_QUEUES.data" "$CLUSTER_QUEUES.train"; do
      rabbitmqctl -q delete_queue "$queue" >/dev/null 2>&1
    done
  fi
fi
rm -rf "$CLUSTER_DIR"
echo "cluster: down"
exit 0
