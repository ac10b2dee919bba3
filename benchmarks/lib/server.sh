# Sourced by the benchmark scripts: starts Switchboard servers (nodes) and a redis-server for them, each on a free
# loopback port, the servers with the abuse limits off (all load comes from 127.0.0.1).
# Sets PORT (free, for start_server), WORK; on exit stops every process in PIDS and removes WORK (KEEP=1 keeps
# WORK; SHOW_LOGS=1 first prints the servers' WARN/ERROR lines).
JAR=cli/target/switchboard.jar
[ -f "$JAR" ] || { echo "build first: ./mvnw -q -B -DskipTests -DskipAutobahn -DskipFuzz package" >&2; exit 2; }
JAVA=java
[ -n "${JAVA_HOME:-}" ] && JAVA="$JAVA_HOME/bin/java"
# The launcher's malloc settings (bin/switchboard says why), unless set: the servers run as users run them.
eval "$(grep -m1 '^export GLIBC_TUNABLES=' bin/switchboard)"
[ -n "${GLIBC_TUNABLES:-}" ] || { echo "bin/switchboard no longer exports GLIBC_TUNABLES as this script expects" >&2; exit 2; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
PORT=$(free_port)
WORK=$(mktemp -d)
PIDS=()
declare -gA NODE_PIDS=()
# Stops one process, killing it when it has not exited after 10 s.
stop_pid() {
  kill "$1" 2>/dev/null || return 0
  for _ in $(seq 100); do kill -0 "$1" 2>/dev/null || return 0; sleep 0.1; done
  kill -9 "$1" 2>/dev/null || true
}
# Newest first, each gone before the next: servers stop before the broker they were started on, so their shutdown
# (leaving the cluster) is clean.
cleanup() {
  for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do stop_pid "${PIDS[$i]}"; done
  wait 2>/dev/null || true
  if [ -n "${SHOW_LOGS:-}" ]; then
    grep -hs -E "WARN|ERROR" "$WORK"/node-*.log "$WORK"/server.log | cut -c1-240 | sort | uniq -c | sort -rn | head -20 >&2 || true
  fi
  if [ -n "${KEEP:-}" ]; then echo "logs kept in $WORK" >&2; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
# The serve options that turn the abuse limits off: the settings file the harness passes too.
UNLIMITED=(--config benchmarks/unlimited.yaml)

# start_node NAME PORT COMMAND... -- [SERVE_OPTION...]: starts `serve` on 127.0.0.1:PORT with the abuse limits off
# and does not wait for it (see await_node). COMMAND runs the jar: "$JAVA" and its options, maybe under taskset;
# the options after -- go to serve (--set key=value ..., which may override the limits). Logs to $WORK/NAME.log;
# sets NODE (its pid) and adds it to PIDS.
start_node() {
  local name=$1 port=$2 cmd=()
  shift 2
  while [ $# -gt 0 ] && [ "$1" != -- ]; do cmd+=("$1"); shift; done
  [ $# -gt 0 ] && [ ${#cmd[@]} -gt 0 ] || { echo "usage: start_node NAME PORT COMMAND... -- [SERVE_OPTION...]" >&2; exit 2; }
  shift
  "${cmd[@]}" -jar "$JAR" serve --host 127.0.0.1 --port "$port" "${UNLIMITED[@]}" "$@" >"$WORK/$name.log" 2>&1 &
  NODE=$!
  PIDS+=($NODE)
  NODE_PIDS[$name]=$NODE
}

# await_node NAME PORT: waits until the node started as NAME on PORT is ready; exits with the tail of its log when
# it is not within 30 s or exits first.
await_node() {
  for _ in $(seq 300); do
    curl -sf "http://127.0.0.1:$2/ready" >/dev/null && return 0
    kill -0 "${NODE_PIDS[$1]}" 2>/dev/null || break
    sleep 0.1
  done
  echo "$1 did not become ready:" >&2; tail -20 "$WORK/$1.log" >&2; exit 1
}

# start_server [SERVE_OPTION...]: one server on PORT, pinned to CPU 0 (the driver runs on CPU 1), ready when it
# returns. Logs to $WORK/server.log; sets SERVER (its pid).
start_server() {
  command -v taskset >/dev/null || { echo "taskset is missing (util-linux)" >&2; exit 2; }
  start_node server "$PORT" taskset -c 0 "$JAVA" -Xms1g -Xmx1g -XX:+AlwaysPreTouch -- "$@"
  SERVER=$NODE
  await_node server "$PORT"
}

# start_redis: a redis-server on a free loopback port that keeps nothing on disk, not waited for. Sets REDIS_PORT;
# adds it to PIDS and writes its pid to $WORK/pid-redis.
start_redis() {
  command -v redis-server >/dev/null || { echo "redis-server is missing (apt-get install redis-server)" >&2; exit 2; }
  REDIS_PORT=$(free_port)
  redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save "" --appendonly no --dir "$WORK" >"$WORK/redis.log" 2>&1 &
  PIDS+=($!)
  echo $! >"$WORK/pid-redis"
}

results_dir() { local d="benchmarks/results/$1-$(date -u +%Y%m%dT%H%M%SZ)"; mkdir -p "$d"; echo "$d"; }
