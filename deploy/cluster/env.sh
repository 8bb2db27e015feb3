# The cluster's layout and settings; sourced by up.sh, down.sh and the chaos tests'
# helpers. Every value can be overridden from the environment.
: "${CLUSTER_DIR:=/tmp/matchcast-cluster}"      # pids, logs, each replica's own files
: "${CLUSTER_NET:=10.231.0}"                    # a /24 only the cluster uses
: "${CLUSTER_BRIDGE:=mcbr0}"
: "${CLUSTER_DB:=matchcast_cluster}"            # own database on the shared PostgreSQL
: "${CLUSTER_QUEUES:=mccluster}"                # own queue prefix on the shared RabbitMQ
: "${CLUSTER_REDIS_DB:=9}"
: "${CLUSTER_API_WORKERS:=1}"                   # uvicorn workers per API replica
: "${CLUSTER_LB_PORT:=8080}"
# CLUSTER_PROJECT_DIR: the DVC project jobs run in (default: this checkout)
: "${CLUSTER_API_PORT:=8000}"
HOST_ADDR="$CLUSTER_NET.1"                       # the root namespace on the bridge
declare -A CLUSTER_ADDR=(
  [lb]="$CLUSTER_NET.10" [api-1]="$CLUSTER_NET.11" [api-2]="$CLUSTER_NET.12"
  [worker-1]="$CLUSTER_NET.21" [worker-2]="$CLUSTER_NET.22"
)
CLUSTER_HOSTS=(lb api-1 api-2 worker-1 worker-2)
# service -> port forwarded from the bridge address to 127.0.0.1 (the servers listen there only)
declare -A CLUSTER_FORWARD=([postgres]=5432 [redis]=6379 [rabbitmq]=5672)
