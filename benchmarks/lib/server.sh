# Sourced by benchmarks/soak and benchmarks/churn: starts one Switchboard server on a free loopback port,
# pinned to CPU 0 (the driver runs on CPU 1), with the abuse limits off (all load comes from 127.0.0.1).
# Sets PORT, SERVER (pid), WORK; stops the server and removes WORK on exit (KEEP=1 keeps WORK).
JAR=cli/target/switchboard.jar
[ -f "$JAR" ] || { echo "build first: ./mvnw -q -B -DskipTests -DskipAutobahn package" >&2; exit 2; }
command -v taskset >/dev/null || { echo "taskset is missing (util-linux)" >&2; exit 2; }
JAVA=java
[ -n "${JAVA_HOME:-}" ] && JAVA="$JAVA_HOME/bin/java"
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
WORK=$(mktemp -d)
PIDS=()
# Newest first: servers stop before the broker they were started on, so their shutdown is clean.
cleanup() { for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do kill "${PIDS[$i]}" 2>/dev/null || true; done; wait 2>/dev/null || true
  if [ -n "${KEEP:-}" ]; then echo "logs kept in $WORK" >&2; else rm -rf "$WORK"; fi; }
trap cleanup EXIT
start_server() {
  taskset -c 0 "$JAVA" -Xms1g -Xmx1g -XX:+AlwaysPreTouch -jar "$JAR" serve --host 127.0.0.1 --port "$PORT" \
    --set security.rateLimitRps=1000000 --set security.rateLimitBurst=1000000 \
    --set security.maxConnectionsPerIp=0 --set security.maxConnectionsPerUser=0 \
    --set security.maxHandshakesPerIpPerSecond=0 "$@" >"$WORK/server.log" 2>&1 &
  SERVER=$!
  PIDS+=($SERVER)
  for _ in $(seq 200); do curl -sf "http://127.0.0.1:$PORT/ready" >/dev/null && return 0; sleep 0.1; done
  echo "server did not become ready:" >&2; tail -20 "$WORK/server.log" >&2; exit 1
}
results_dir() { local d="benchmarks/results/$1-$(date -u +%Y%m%dT%H%M%SZ)"; mkdir -p "$d"; echo "$d"; }
