#!/usr/bin/env bash
# Bring up the reference cluster on this machine (ADR-0021): network namespaces as hosts.
#
#   lb        HAProxy: health checks on /readyz, retries on the other replica
#   api-1/2   matchcast serve, following the store's forecast batches (no shared disk)
#   worker-1  Celery worker on the data queue
#   worker-2  Celery worker on the train queue (and the data queue: it takes over data jobs)
#
# Each namespace has a veth pair to the bridge $CLUSTER_BRIDGE in the root namespace.
# PostgreSQL, Redis and RabbitMQ listen on 127.0.0.1 only here, so socat forwarders in the
# root namespace offer them on the bridge address ($CLUSTER_NET.1); a real deployment points
# the same variables at the services' own hosts. Configuration is by environment only.
# Needs root (ip netns), haproxy and socat. A failure tears down what was made (down.sh).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
# shellcheck source=env.sh
source "$here/env.sh"
bin="$repo/.venv/bin"

for tool in ip haproxy socat; do
  command -v "$tool" >/dev/null || { echo "cluster: $tool is missing" >&2; exit 1; }
done
[ -x "$bin/matchcast" ] || { echo "cluster: run 'make setup' first" >&2; exit 1; }
if [ -e "$CLUSTER_DIR/up" ]; then
  echo "cluster: already up ($CLUSTER_DIR); run down.sh first" >&2
  exit 1
fi

failed() {
  echo "cluster: bring-up failed; the logs' last lines, then tearing down" >&2
  for log in "$CLUSTER_DIR"/logs/*.log; do
    [ -e "$log" ] && { echo "--- $log" >&2; tail -n 15 "$log" >&2; }
  done
  "$here/down.sh"
}
trap failed ERR
mkdir -p "$CLUSTER_DIR/pids" "$CLUSTER_DIR/logs" "$CLUSTER_DIR/run"

# Write "$@" as $CLUSTER_DIR/run/$1 (so that ctl.sh can restart it) and start it in its
# own session (pid = process group id), recorded in $CLUSTER_DIR/pids/$1.pid.
start() {
  local name=$1; shift
  {
    echo '#!/usr/bin/env bash'
    echo "if [ -f $CLUSTER_DIR/cluster.env ]; then set -a; source $CLUSTER_DIR/cluster.env; set +a; fi"
    printf 'exec'; printf ' %q' "$@"; echo
  } > "$CLUSTER_DIR/run/$name"
  chmod +x "$CLUSTER_DIR/run/$name"
  "$here/ctl.sh" start "$name"
}
wait_http() {  # url tries(0.2 s each)
  for _ in $(seq "${2:-300}"); do
    if curl -fs -o /dev/null --max-time 1 "$1"; then return 0; fi
    sleep 0.2
  done
  echo "cluster: $1 did not answer" >&2
  return 1
}

# --- network: bridge in the root namespace, one namespace + veth per host -----------------
ip link add "$CLUSTER_BRIDGE" type bridge
ip addr add "$HOST_ADDR/24" dev "$CLUSTER_BRIDGE"
ip link set "$CLUSTER_BRIDGE" up
for host in "${CLUSTER_HOSTS[@]}"; do
  ip netns add "$host"
  ip link add "mc-$host" type veth peer name eth0 netns "$host"
  ip link set "mc-$host" master "$CLUSTER_BRIDGE" up
  ip -n "$host" link set lo up
  ip -n "$host" addr add "${CLUSTER_ADDR[$host]}/24" dev eth0
  ip -n "$host" link set eth0 up
  ip -n "$host" route add default via "$HOST_ADDR"
done

# --- services on the bridge address ----------------------------------------------------------
for service in "${!CLUSTER_FORWARD[@]}"; do
  port=${CLUSTER_FORWARD[$service]}
  start "forward-$service" socat "TCP-LISTEN:$port,bind=$HOST_ADDR,reuseaddr,fork" "TCP:127.0.0.1:$port"
done
sleep 0.3
psql -h "$HOST_ADDR" -U postgres -qtAc "SELECT 1 FROM pg_database WHERE datname = '$CLUSTER_DB'" \
  | grep -q 1 || psql -h "$HOST_ADDR" -U postgres -qc "CREATE DATABASE \"$CLUSTER_DB\""

# What every host is given: the same code, told where things are by environment only.
key="$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')"
cat > "$CLUSTER_DIR/cluster.env" <<VARS
MATCHCAST_DATABASE_URL=postgresql+psycopg://postgres@$HOST_ADDR:5432/$CLUSTER_DB
MATCHCAST_OPTUNA_STORAGE=postgresql+psycopg://postgres@$HOST_ADDR:5432/$CLUSTER_DB
MATCHCAST_BROKER_URL=amqp://guest:guest@$HOST_ADDR:5672//
MATCHCAST_RESULT_BACKEND=redis://$HOST_ADDR:6379/$CLUSTER_REDIS_DB
MATCHCAST_REDIS_URL=redis://$HOST_ADDR:6379/$CLUSTER_REDIS_DB
MATCHCAST_JOB_QUEUE_PREFIX=$CLUSTER_QUEUES
MATCHCAST_API_KEY=$key
MATCHCAST_PROJECT_DIR=${CLUSTER_PROJECT_DIR:-$repo}
MATCHCAST_FOLLOW_BATCHES=true
MATCHCAST_BATCH_POLL_S=5
MATCHCAST_RATE_LIMIT_PER_S=0
VARS
set -a; source "$CLUSTER_DIR/cluster.env"; set +a
"$bin/matchcast" db-upgrade >"$CLUSTER_DIR/logs/db-upgrade.log" 2>&1

# Seed the store with this checkout's batch, if it has one and the store has none.
predictions="$repo/data/predictions"
if [ -f "$predictions/predictions.parquet" ] && [ -f "$predictions/model.json" ] \
  && [ -z "$(psql -h "$HOST_ADDR" -U postgres -d "$CLUSTER_DB" -qtAc 'SELECT 1 FROM forecast_batches LIMIT 1')" ]; then
  "$bin/matchcast" publish-batch --predictions "$predictions/predictions.parquet" \
    --model "$predictions/model.json"
fi

# --- API replicas: each with its own files, no shared disk ------------------------------------
for api in api-1 api-2; do
  files="$CLUSTER_DIR/$api"
  mkdir -p "$files"
  start "$api" ip netns exec "$api" env \
    MATCHCAST_PREDICTIONS_PATH="$files/predictions.parquet" \
    MATCHCAST_MODEL_METADATA_PATH="$files/model.json" \
    MATCHCAST_MATCHES_PATH="$files/matches.parquet" \
    MATCHCAST_FINISHED_PREDICTIONS_PATH="$files/finished.parquet" \
    MATCHCAST_EVALUATION_PATH="$files/evaluation.json" \
    MATCHCAST_MOVED_IDS_PATH="$files/moved.parquet" \
    MATCHCAST_LIVE_QUALITY_PATH="$files/live_quality.json" \
    MATCHCAST_DRIFT_PATH="$files/drift.json" \
    "$bin/matchcast" serve --host "${CLUSTER_ADDR[$api]}" --port "$CLUSTER_API_PORT" \
    --workers "$CLUSTER_API_WORKERS" --no-local-worker
done

# --- Celery workers ------------------------------------------------------------------------------
start worker-1 ip netns exec worker-1 "$bin/matchcast" worker --hostname worker-1@%h \
  --queues "$CLUSTER_QUEUES.data"
start worker-2 ip netns exec worker-2 "$bin/matchcast" worker --hostname worker-2@%h \
  --queues "$CLUSTER_QUEUES.train,$CLUSTER_QUEUES.data"

# --- load balancer -------------------------------------------------------------------------------
servers=""
for api in api-1 api-2; do
  servers+="    server $api ${CLUSTER_ADDR[$api]}:$CLUSTER_API_PORT check"$'\n'
done
sed -e "s|@DIR@|$CLUSTER_DIR|g" -e "s|@LB@|${CLUSTER_ADDR[lb]}|g" \
  -e "s|@LB_PORT@|$CLUSTER_LB_PORT|g" "$here/haproxy.cfg.in" \
  | awk -v servers="$servers" '{ if ($0 == "@SERVERS@") printf "%s", servers; else print }' \
  > "$CLUSTER_DIR/haproxy.cfg"
haproxy -c -q -f "$CLUSTER_DIR/haproxy.cfg"
start lb ip netns exec lb haproxy -db -f "$CLUSTER_DIR/haproxy.cfg"

for api in api-1 api-2; do
  wait_http "http://${CLUSTER_ADDR[$api]}:$CLUSTER_API_PORT/healthz"
done
curl -fs -o /dev/null --max-time 2 "http://${CLUSTER_ADDR[lb]}:$CLUSTER_LB_PORT/healthz" \
  || echo "cluster: no replica is ready yet (no forecast batch in the store: matchcast publish-batch)"
touch "$CLUSTER_DIR/up"
trap - ERR
echo "cluster: up. Load balancer http://${CLUSTER_ADDR[lb]}:$CLUSTER_LB_PORT/ ;" \
  "replicas ${CLUSTER_ADDR[api-1]} ${CLUSTER_ADDR[api-2]} ; settings $CLUSTER_DIR/cluster.env"
