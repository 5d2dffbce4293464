#!/usr/bin/env bash
# Run a real single-node Apache Kafka 4.x broker (KRaft, combined broker+controller)
# locally, without Docker: the jars come from Maven Central via scripts/kafka/pom.xml.
#
#   scripts/kafka.sh start                 start (no-op if a broker already answers)
#   scripts/kafka.sh stop [--wipe]         stop; --wipe (or KAFKA_WIPE=1) also deletes the state dir
#   scripts/kafka.sh status                exit 0 if running, 3 if not
#   scripts/kafka.sh tool <name> [args]    run one of Kafka's CLI tools (list: `tool` with no name)
#
# Environment:
#   STREAMWATCH_CACHE     jar cache root          (default ~/.cache/streamwatch)
#   KAFKA_STATE_DIR       data, broker.log, pid   (default ~/.local/state/streamwatch/kafka)
#   KAFKA_PORT            client port             (default 9092)
#   KAFKA_CONTROLLER_PORT KRaft controller port   (default 9093)
#   KAFKA_VERSION         override pom's kafka.version (gets its own cache dir)
#   KAFKA_HEAP_OPTS       broker heap             (default -Xms256m -Xmx1g)
#   KAFKA_TOOL_HEAP_OPTS  CLI tool heap           (default -Xmx512m)
#   KAFKA_OPTS            extra JVM options for broker and tools
#   KAFKA_START_TIMEOUT   seconds to wait for readiness (default 60)
#   KAFKA_CLUSTER_ID      cluster id used when formatting fresh storage (default: random)
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
POM="$SCRIPT_DIR/kafka/pom.xml"

HOST=127.0.0.1 # loopback only: this is a dev broker with no auth
PORT="${KAFKA_PORT:-9092}"
CONTROLLER_PORT="${KAFKA_CONTROLLER_PORT:-9093}"
BOOTSTRAP="$HOST:$PORT"

# The version lives in the pom (single source of truth); read it so the cache dir is per version.
POM_VERSION="$(sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' "$POM" | head -n1)"
VERSION="${KAFKA_VERSION:-$POM_VERSION}"
CACHE_DIR="${STREAMWATCH_CACHE:-$HOME/.cache/streamwatch}/kafka-$VERSION"
LIBS="$CACHE_DIR/libs"

STATE_DIR="${KAFKA_STATE_DIR:-$HOME/.local/state/streamwatch/kafka}"
DATA_DIR="$STATE_DIR/data"
LOG_FILE="$STATE_DIR/broker.log"
PID_FILE="$STATE_DIR/kafka.pid"
SERVER_PROPS="$STATE_DIR/server.properties"
BROKER_LOG4J="$STATE_DIR/log4j2-broker.properties"
TOOLS_LOG4J="$CACHE_DIR/log4j2-tools.properties"

START_TIMEOUT="${KAFKA_START_TIMEOUT:-60}"
STOP_TIMEOUT=30

# Same GC tuning as Kafka's own kafka-run-class.sh, minus GC logging (-Xlog:gc) on purpose.
JVM_PERF_OPTS=(-server -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:InitiatingHeapOccupancyPercent=35
  -XX:+ExplicitGCInvokesConcurrent -Djava.awt.headless=true)

log() { printf 'kafka: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

# ---------------------------------------------------------------------------------------------
# Prerequisites and jar cache
# ---------------------------------------------------------------------------------------------

require_java() {
  command -v java >/dev/null || die "java not found (Kafka $VERSION needs Java 17+)"
  local v
  v="$(java -version 2>&1 | sed -n 's/.*version "\([0-9]*\).*/\1/p' | head -n1)"
  [[ -n "$v" && "$v" -ge 17 ]] || die "Kafka 4.x needs Java 17+, found: $(java -version 2>&1 | head -n1)"
}

# Fetch all jars into the cache once. Maven copies into a private temp dir that is renamed
# into place only when complete, so an interrupted fetch never leaves a half-filled libs dir
# that later runs would mistake for a good one.
ensure_libs() {
  [[ -f "$LIBS/.complete" ]] && return 0
  command -v mvn >/dev/null || die "mvn not found (needed once, to fetch Kafka jars from Maven Central)"
  mkdir -p "$CACHE_DIR"
  local tmp fetch_log
  tmp="$(mktemp -d "$CACHE_DIR/libs.tmp.XXXXXX")"
  fetch_log="$tmp.log"
  log "fetching Kafka $VERSION jars from Maven Central into $LIBS (first run only)..."
  # stdout goes to a log: Debian's mvn prints stray ANSI codes even with -q -B.
  if ! mvn -q -B -f "$POM" -Dkafka.version="$VERSION" \
    dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$tmp" \
    >"$fetch_log" 2>&1; then
    cat "$fetch_log" >&2
    rm -rf "$tmp" "$fetch_log"
    die "fetching Kafka $VERSION jars failed"
  fi
  rm -f "$fetch_log"
  ls "$tmp"/kafka_2.13-*.jar >/dev/null 2>&1 || die "fetch finished but kafka_2.13 jar is missing in $tmp"
  chmod 755 "$tmp" # mktemp -d makes it 0700
  touch "$tmp/.complete"
  # mv -T refuses to move *into* an existing dir; if a concurrent run won the race, keep theirs.
  if ! mv -T "$tmp" "$LIBS" 2>/dev/null; then
    rm -rf "$tmp"
    [[ -f "$LIBS/.complete" ]] || die "could not move jars into $LIBS (remove it and retry)"
  fi
}

# Tools must not spam stdout (console-consumer output is data), so WARN and above go to stderr.
write_tools_log4j() {
  mkdir -p "$CACHE_DIR"
  cat >"$TOOLS_LOG4J.tmp" <<'EOF'
# log4j2 config for Kafka CLI tools run via scripts/kafka.sh tool: quiet, on stderr.
status = warn
appender.stderr.type = Console
appender.stderr.name = STDERR
appender.stderr.target = SYSTEM_ERR
appender.stderr.layout.type = PatternLayout
appender.stderr.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = WARN
rootLogger.appenderRef.stderr.ref = STDERR
EOF
  mv -f "$TOOLS_LOG4J.tmp" "$TOOLS_LOG4J"
}

# ---------------------------------------------------------------------------------------------
# Process / port helpers
# ---------------------------------------------------------------------------------------------

port_open() { timeout 2 bash -c "exec 3<>/dev/tcp/$1/$2" 2>/dev/null; }

# True if $1 is a live broker process started by this script (guards against recycled pids).
is_our_broker() {
  local pid="$1"
  [[ "$pid" =~ ^[0-9]+$ ]] && [[ -r "/proc/$pid/cmdline" ]] || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF "kafka.Kafka $SERVER_PROPS"
}

# Prints the broker pid if ours is running. Falls back to the exact command line (which includes
# this state dir's server.properties) in case the pid file was lost.
broker_pid() {
  local pid=""
  [[ -f "$PID_FILE" ]] && pid="$(cat "$PID_FILE" 2>/dev/null || true)"
  if is_our_broker "$pid"; then echo "$pid"; return 0; fi
  pid="$(pgrep -f -x "java .*kafka\.Kafka $SERVER_PROPS" | head -n1 || true)"
  if is_our_broker "$pid"; then echo "$pid"; return 0; fi
  return 1
}

# One start/stop at a time per state dir (e.g. two test suites calling kafka:start at once).
take_lock() {
  mkdir -p "$STATE_DIR"
  exec 9>"$STATE_DIR/.lock"
  flock -w 120 9 || die "timed out waiting for lock $STATE_DIR/.lock"
}

# ---------------------------------------------------------------------------------------------
# Config and storage
# ---------------------------------------------------------------------------------------------

write_server_properties() {
  cat >"$SERVER_PROPS.tmp" <<EOF
# Generated by scripts/kafka.sh on every start; edits here are overwritten.
# Single-node KRaft: this process is both broker and (sole) controller.
process.roles=broker,controller
node.id=1
# 4.x dynamic quorum (KIP-853): storage is formatted with --standalone, so no controller.quorum.voters.
controller.quorum.bootstrap.servers=$HOST:$CONTROLLER_PORT
controller.listener.names=CONTROLLER
listeners=PLAINTEXT://$HOST:$PORT,CONTROLLER://$HOST:$CONTROLLER_PORT
advertised.listeners=PLAINTEXT://$HOST:$PORT,CONTROLLER://$HOST:$CONTROLLER_PORT
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT

log.dirs=$DATA_DIR

# One broker: every internal topic must be satisfiable with a single replica.
default.replication.factor=1
min.insync.replicas=1
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1

# Topics are created explicitly (typos must fail loudly, not create topics).
auto.create.topics.enable=false
num.partitions=6
# Tests and local runs should not wait 3 s for the first consumer group rebalance.
group.initial.rebalance.delay.ms=0

log.retention.hours=168
# 128 MiB segments: retention deletes whole segments, so smaller than the 1 GiB default
# lets a dev disk actually get reclaimed.
log.segment.bytes=134217728
log.retention.check.interval.ms=300000
EOF
  mv -f "$SERVER_PROPS.tmp" "$SERVER_PROPS"

  # The broker logs to stdout, which start() redirects into broker.log (one file to tail;
  # it also catches JVM-level errors). Chatty per-request / state-change loggers are cut to WARN.
  cat >"$BROKER_LOG4J.tmp" <<'EOF'
status = warn
appender.stdout.type = Console
appender.stdout.name = STDOUT
appender.stdout.target = SYSTEM_OUT
appender.stdout.layout.type = PatternLayout
appender.stdout.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = INFO
rootLogger.appenderRef.stdout.ref = STDOUT
logger.request.name = kafka.request.logger
logger.request.level = WARN
logger.statechange.name = state.change.logger
logger.statechange.level = WARN
logger.network.name = kafka.network.RequestChannel$
logger.network.level = WARN
logger.clients.name = org.apache.kafka.clients
logger.clients.level = WARN
EOF
  mv -f "$BROKER_LOG4J.tmp" "$BROKER_LOG4J"
}

# Format KRaft storage only when it is not (validly) formatted. Existing data is kept across
# restarts. State that belongs to some other setup (different node.id, ZooKeeper-era
# meta.properties, or a data dir with no meta.properties at all) cannot be started by this
# config, so it is moved aside rather than deleted, then fresh storage is formatted.
ensure_formatted() {
  local meta="$DATA_DIR/meta.properties"
  if [[ -f "$meta" ]]; then
    local node version
    node="$(sed -n 's/^node\.id=//p' "$meta")"
    version="$(sed -n 's/^version=//p' "$meta")"
    if [[ "$node" == "1" && "$version" == "1" ]]; then
      return 0
    fi
    quarantine_data "meta.properties has node.id=${node:-?} version=${version:-?}, expected node.id=1 version=1"
  elif [[ -d "$DATA_DIR" ]] && [[ -n "$(ls -A "$DATA_DIR" 2>/dev/null)" ]]; then
    quarantine_data "data dir has files but no meta.properties"
  fi

  local cluster_id="${KAFKA_CLUSTER_ID:-$(random_cluster_id)}"
  log "formatting KRaft storage in $DATA_DIR (cluster id $cluster_id)"
  mkdir -p "$DATA_DIR"
  run_java_quiet kafka.tools.StorageTool format --config "$SERVER_PROPS" \
    --cluster-id "$cluster_id" --standalone >/dev/null
}

# Same format as `kafka-storage random-uuid` (16 random bytes, URL-safe base64, unpadded),
# made in bash to save a JVM start. Like Kafka's Uuid.randomUuid(), avoid a leading '-',
# which CLI parsers would take for an option.
random_cluster_id() {
  local id
  while :; do
    id="$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n')"
    [[ "$id" != -* ]] && { echo "$id"; return 0; }
  done
}

quarantine_data() {
  local dest
  dest="$STATE_DIR/data.stale-$(date +%Y%m%d-%H%M%S)"
  log "warning: $1; moving it to $dest and formatting fresh storage"
  mv "$DATA_DIR" "$dest"
}

# Short-lived helper JVMs (StorageTool) with the quiet logging config.
run_java_quiet() {
  java -Xmx256m -Dlog4j2.configurationFile="$TOOLS_LOG4J" -cp "$LIBS/*" "$@"
}

# ---------------------------------------------------------------------------------------------
# Commands
# ---------------------------------------------------------------------------------------------

cmd_start() {
  take_lock
  local pid
  if port_open "$HOST" "$PORT"; then
    if pid="$(broker_pid)"; then
      log "already running (pid $pid) at $BOOTSTRAP"
    else
      log "a broker (not started by this script) already answers at $BOOTSTRAP; nothing to do"
    fi
    echo "$BOOTSTRAP"
    return 0
  fi
  if pid="$(broker_pid)"; then
    # Ours, but the port is not up yet: another start is (or was) mid-boot; just wait for it.
    log "broker pid $pid is starting; waiting for it"
    wait_ready "$pid" 0
    return 0
  fi

  require_java
  local t0=$SECONDS
  ensure_libs
  write_tools_log4j
  mkdir -p "$STATE_DIR"
  write_server_properties
  ensure_formatted

  # Keep the previous run's log for post-mortems; this run's log then only holds this run,
  # which is what the readiness check greps.
  [[ -f "$LOG_FILE" ]] && mv -f "$LOG_FILE" "$LOG_FILE.1"

  # setsid: own session, so the broker survives the shell/npm that started it (no SIGHUP).
  # Without job control in this script, setsid execs java directly, so $! is java's pid.
  # 9>&- : the broker must not inherit the start/stop lock, or it would hold it forever.
  # shellcheck disable=SC2086 # heap/extra opts are intentionally word-split
  nohup setsid java ${KAFKA_HEAP_OPTS:--Xms256m -Xmx1g} "${JVM_PERF_OPTS[@]}" ${KAFKA_OPTS:-} \
    -Dlog4j2.configurationFile="$BROKER_LOG4J" -Dkafka.logs.dir="$STATE_DIR" \
    -cp "$LIBS/*" kafka.Kafka "$SERVER_PROPS" \
    >>"$LOG_FILE" 2>&1 </dev/null 9>&- &
  pid=$!
  echo "$pid" >"$PID_FILE"
  log "started broker pid $pid (Kafka $VERSION), waiting up to ${START_TIMEOUT}s for readiness"
  wait_ready "$pid" 1
  log "ready in $((SECONDS - t0))s"
}

# Ready = process alive AND the client port accepts connections AND the broker logged that
# startup finished (the port opens a little before the broker can serve metadata).
wait_ready() {
  local pid="$1" kill_on_timeout="$2" deadline=$((SECONDS + START_TIMEOUT))
  while ((SECONDS < deadline)); do
    if ! kill -0 "$pid" 2>/dev/null; then
      log "error: broker exited during startup; first errors, then last 40 lines of $LOG_FILE:"
      # The root cause is often an early ERROR that the shutdown noise pushes out of the tail.
      grep -m 3 -E '^\[[^]]*\] (ERROR|FATAL) ' "$LOG_FILE" >&2 || true
      echo "..." >&2
      tail -n 40 "$LOG_FILE" >&2 || true
      rm -f "$PID_FILE"
      exit 1
    fi
    if port_open "$HOST" "$PORT" && grep -q "Kafka Server started" "$LOG_FILE" 2>/dev/null; then
      log "bootstrap: $BOOTSTRAP"
      log "log:       $LOG_FILE"
      echo "$BOOTSTRAP"
      return 0
    fi
    sleep 0.5
  done
  log "error: broker not ready after ${START_TIMEOUT}s; last 40 lines of $LOG_FILE:"
  tail -n 40 "$LOG_FILE" >&2 || true
  if [[ "$kill_on_timeout" == 1 ]]; then
    stop_pid "$pid"
  fi
  exit 1
}

stop_pid() {
  local pid="$1" deadline=$((SECONDS + STOP_TIMEOUT))
  kill -TERM "$pid" 2>/dev/null || true
  # Kafka's controlled shutdown usually takes a few seconds; give it time to flush cleanly.
  while kill -0 "$pid" 2>/dev/null && ((SECONDS < deadline)); do sleep 0.5; done
  if kill -0 "$pid" 2>/dev/null; then
    log "broker pid $pid did not stop within ${STOP_TIMEOUT}s; sending SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
    while kill -0 "$pid" 2>/dev/null; do sleep 0.2; done
  fi
  rm -f "$PID_FILE"
}

cmd_stop() {
  local wipe="${KAFKA_WIPE:-0}"
  case "${1:-}" in
    --wipe) wipe=1 ;;
    "") ;;
    *) die "usage: $0 stop [--wipe]" ;;
  esac
  take_lock
  local pid
  if pid="$(broker_pid)"; then
    log "stopping broker pid $pid"
    stop_pid "$pid"
    log "stopped"
  else
    rm -f "$PID_FILE"
    log "not running"
    if port_open "$HOST" "$PORT"; then
      log "note: something else answers at $BOOTSTRAP (not started by this script); left alone"
    fi
  fi
  if [[ "$wipe" == 1 ]]; then
    log "wiping $STATE_DIR"
    exec 9>&- # release the lock file before deleting its directory
    rm -rf "$STATE_DIR"
  fi
}

cmd_status() {
  local pid
  if pid="$(broker_pid)"; then
    local ready="no (starting?)"
    port_open "$HOST" "$PORT" && ready="yes"
    echo "status:    running"
    echo "pid:       $pid"
    echo "version:   $VERSION"
    echo "bootstrap: $BOOTSTRAP (accepting connections: $ready)"
    echo "log:       $LOG_FILE"
    echo "data:      $DATA_DIR"
    return 0
  fi
  if port_open "$HOST" "$PORT"; then
    echo "status:    running (external: not started by this script, pid unknown)"
    echo "bootstrap: $BOOTSTRAP"
    return 0
  fi
  echo "status:    stopped"
  echo "bootstrap: $BOOTSTRAP"
  echo "log:       $LOG_FILE"
  echo "data:      $DATA_DIR"
  return 3
}

# alias -> main class; all verified present in the Kafka 4.x jars.
tool_class() {
  case "$1" in
    console-consumer) echo org.apache.kafka.tools.consumer.ConsoleConsumer ;;
    console-producer) echo org.apache.kafka.tools.ConsoleProducer ;;
    producer-perf-test) echo org.apache.kafka.tools.ProducerPerformance ;;
    consumer-perf-test) echo org.apache.kafka.tools.ConsumerPerformance ;;
    topics) echo org.apache.kafka.tools.TopicCommand ;;
    consumer-groups) echo org.apache.kafka.tools.consumer.group.ConsumerGroupCommand ;;
    get-offsets) echo org.apache.kafka.tools.GetOffsetShell ;;
    configs) echo org.apache.kafka.tools.ConfigCommand ;;
    delete-records) echo org.apache.kafka.tools.DeleteRecordsCommand ;;
    metadata-quorum) echo org.apache.kafka.tools.MetadataQuorumCommand ;;
    storage) echo kafka.tools.StorageTool ;;
    *.*) echo "$1" ;; # a fully qualified class name is passed through
    *) return 1 ;;
  esac
}

TOOL_NAMES="console-consumer console-producer producer-perf-test consumer-perf-test topics \
consumer-groups get-offsets configs delete-records metadata-quorum storage"

cmd_tool() {
  local name="${1:-}"
  if [[ -z "$name" ]]; then
    echo "usage: $0 tool <name> [args...]   (or a fully qualified main class)" >&2
    echo "names: $TOOL_NAMES" >&2
    exit 2
  fi
  shift
  local class
  class="$(tool_class "$name")" || die "unknown tool '$name'; known: $TOOL_NAMES"
  require_java
  ensure_libs
  [[ -f "$TOOLS_LOG4J" ]] || write_tools_log4j
  # shellcheck disable=SC2086
  exec java ${KAFKA_TOOL_HEAP_OPTS:--Xmx512m} "${JVM_PERF_OPTS[@]}" ${KAFKA_OPTS:-} \
    -Dlog4j2.configurationFile="$TOOLS_LOG4J" -cp "$LIBS/*" "$class" "$@"
}

main() {
  local cmd="${1:-}"
  [[ $# -gt 0 ]] && shift
  case "$cmd" in
    start) cmd_start "$@" ;;
    stop) cmd_stop "$@" ;;
    status) cmd_status "$@" ;;
    tool) cmd_tool "$@" ;;
    *)
      echo "usage: $0 start | stop [--wipe] | status | tool <name> [args...]" >&2
      exit 2
      ;;
  esac
}

main "$@"
