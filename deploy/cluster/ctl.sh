#!/usr/bin/env bash
# Start, stop or kill one of the cluster's processes by name (api-1, worker-2, lb,
# forward-postgres, forward-redis, forward-rabbitmq): the chaos tests' and operators' handle.
#
#   ctl.sh start NAME   run $CLUSTER_DIR/run/NAME in its own session; its pid is recorded
#   ctl.sh stop NAME    SIGTERM to its session, SIGKILL after 5 s
#   ctl.sh kill NAME    SIGKILL to its session at once (a crashed host)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source=env.sh
source "$here/env.sh"
action=${1:?start|stop|kill}
name=${2:?process name}
pidfile="$CLUSTER_DIR/pids/$name.pid"

alive() { [ -e "$pidfile" ] && kill -0 -- "-$(cat "$pidfile")" 2>/dev/null; }

case "$action" in
  start)
    if alive; then echo "cluster: $name is running" >&2; exit 1; fi
    [ -x "$CLUSTER_DIR/run/$name" ] || { echo "cluster: no process called $name" >&2; exit 1; }
    setsid "$CLUSTER_DIR/run/$name" >>"$CLUSTER_DIR/logs/$name.log" 2>&1 < /dev/null &
    echo $! > "$pidfile"
    ;;
  stop|kill)
    alive || exit 0
    pid=$(cat "$pidfile")
    if [ "$action" = kill ]; then
      kill -KILL -- "-$pid" 2>/dev/null || true
    else
      kill -TERM -- "-$pid" 2>/dev/null || true
      for _ in $(seq 50); do kill -0 -- "-$pid" 2>/dev/null || break; sleep 0.1; done
      kill -KILL -- "-$pid" 2>/dev/null || true
    fi
    for _ in $(seq 50); do kill -0 -- "-$pid" 2>/dev/null || break; sleep 0.1; done
    rm -f "$pidfile"
    ;;
  *) echo "usage: ctl.sh start|stop|kill NAME" >&2; exit 2 ;;
esac
