#!/usr/bin/env bash
# Run a local S3-compatible server (S3Proxy, filesystem backend) without Docker: the jars come
# from Maven Central via scripts/s3/pom.xml. Why S3Proxy: docs/decisions/0003-s3-server.md.
#
#   scripts/s3.sh start                  start (no-op if ours already answers); creates the bucket
#   scripts/s3.sh stop [--wipe]          stop; --wipe (or S3_WIPE=1) also deletes the state dir
#   scripts/s3.sh status                 exit 0 if running, 3 if not
#   scripts/s3.sh env                    print the settings that point streamwatch at this server
#
# Environment:
#   STREAMWATCH_CACHE   jar cache root                       (default ~/.cache/streamwatch)
#   S3_STATE_DIR        data (one dir per bucket), log, pid  (default ~/.local/state/streamwatch/s3)
#   S3_HOST / S3_PORT   listen address                       (default 127.0.0.1:9000)
#   S3_BUCKET           bucket created at start              (default streamwatch)
#   S3_ACCESS_KEY       identity the server accepts          (default streamwatch)
#   S3_SECRET_KEY       its secret (SigV2/SigV4 checked)     (default streamwatch-secret)
#   S3_HEAP_OPTS        JVM heap                             (default -Xms64m -Xmx384m)
#   S3_LOG_LEVEL        server log level                     (default warn)
#   S3_START_TIMEOUT    seconds to wait for readiness        (default 60)
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
POM="$SCRIPT_DIR/s3/pom.xml"

HOST="${S3_HOST:-127.0.0.1}"
PORT="${S3_PORT:-9000}"
ENDPOINT="http://$HOST:$PORT"
BUCKET="${S3_BUCKET:-streamwatch}"
ACCESS_KEY="${S3_ACCESS_KEY:-streamwatch}"
SECRET_KEY="${S3_SECRET_KEY:-streamwatch-secret}"

VERSION="$(sed -n 's:.*<s3proxy.version>\(.*\)</s3proxy.version>.*:\1:p' "$POM" | head -n1)"
CACHE_DIR="${STREAMWATCH_CACHE:-$HOME/.cache/streamwatch}/s3proxy-$VERSION"
LIBS="$CACHE_DIR/libs"

STATE_DIR="${S3_STATE_DIR:-$HOME/.local/state/streamwatch/s3}"
DATA_DIR="$STATE_DIR/data"
LOG_FILE="$STATE_DIR/s3proxy.log"
PID_FILE="$STATE_DIR/s3proxy.pid"
PROPS="$STATE_DIR/s3proxy.properties"
LOGBACK="$STATE_DIR/logback.xml"

START_TIMEOUT="${S3_START_TIMEOUT:-60}"
STOP_TIMEOUT=20

log() { printf 's3: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

require_java() {
  command -v java >/dev/null || die "java not found (S3Proxy $VERSION needs Java 11+)"
  local v
  v="$(java -version 2>&1 | sed -n 's/.*version "\([0-9]*\).*/\1/p' | head -n1)"
  [[ -n "$v" && "$v" -ge 11 ]] || die "S3Proxy needs Java 11+, found: $(java -version 2>&1 | head -n1)"
}

# Fetch all jars into the cache once, into a temp dir renamed into place only when complete, so an
# interrupted fetch never leaves a half-filled libs dir that later runs would take for a good one.
ensure_libs() {
  [[ -f "$LIBS/.complete" ]] && return 0
  command -v mvn >/dev/null || die "mvn not found (needed once, to fetch S3Proxy jars from Maven Central)"
  mkdir -p "$CACHE_DIR"
  local tmp fetch_log
  tmp="$(mktemp -d "$CACHE_DIR/libs.tmp.XXXXXX")"
  fetch_log="$tmp.log"
  log "fetching S3Proxy $VERSION jars from Maven Central into $LIBS (first run only)..."
  if ! mvn -q -B -f "$POM" dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$tmp" \
    >"$fetch_log" 2>&1; then
    cat "$fetch_log" >&2
    rm -rf "$tmp" "$fetch_log"
    die "fetching S3Proxy $VERSION jars failed"
  fi
  rm -f "$fetch_log"
  ls "$tmp"/s3proxy-*.jar >/dev/null 2>&1 || die "fetch finished but the s3proxy jar is missing in $tmp"
  chmod 755 "$tmp"
  touch "$tmp/.complete"
  if ! mv -T "$tmp" "$LIBS" 2>/dev/null; then
    rm -rf "$tmp"
    [[ -f "$LIBS/.complete" ]] || die "could not move jars into $LIBS (remove it and retry)"
  fi
}

port_open() { timeout 2 bash -c "exec 3<>/dev/tcp/$1/$2" 2>/dev/null; }

# An S3 server answers an unsigned request with an HTTP status (403 here); a bare open port does not.
http_answers() {
  timeout 3 bash -c "exec 3<>/dev/tcp/$HOST/$PORT && printf 'GET / HTTP/1.0\r\nHost: $HOST\r\n\r\n' >&3 \
    && head -c 12 <&3 | grep -q '^HTTP/1\.[01] '" 2>/dev/null
}

# True if $1 is a live S3Proxy started by this script for this state dir (guards against recycled pids).
is_ours() {
  local pid="$1"
  [[ "$pid" =~ ^[0-9]+$ ]] && [[ -r "/proc/$pid/cmdline" ]] || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF "org.gaul.s3proxy.Main --properties $PROPS"
}

server_pid() {
  local pid=""
  [[ -f "$PID_FILE" ]] && pid="$(cat "$PID_FILE" 2>/dev/null || true)"
  if is_ours "$pid"; then echo "$pid"; return 0; fi
  pid="$(pgrep -f -x "java .*org\.gaul\.s3proxy\.Main --properties $PROPS" | head -n1 || true)"
  if is_ours "$pid"; then echo "$pid"; return 0; fi
  return 1
}

take_lock() {
  mkdir -p "$STATE_DIR"
  exec 9>"$STATE_DIR/.lock"
  flock -w 120 9 || die "timed out waiting for lock $STATE_DIR/.lock"
}

# The filesystem-nio2 backend writes a PUT to `<key>-<uuid>` beside the key, then moves it into
# place (atomic: a reader never sees a partial object under the key). A server stopped mid-PUT
# leaves that file behind, and S3Proxy then fails every later listing of the directory with
# HTTP 500. With the server down, any such file is a leftover: remove it before starting.
remove_stale_temp_files() {
  [[ -d "$DATA_DIR" ]] || return 0
  local count
  count="$(find "$DATA_DIR" -type f -regextype posix-extended \
    -regex '.*-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' -print -delete | wc -l)"
  [[ "$count" == 0 ]] || log "removed $count temporary file(s) left by a server stopped mid-upload"
}

write_config() {
  # One directory per bucket under basedir, one file per object.
  cat >"$PROPS.tmp" <<EOF
# Generated by scripts/s3.sh on every start; edits here are overwritten.
s3proxy.endpoint=$ENDPOINT
s3proxy.authorization=aws-v2-or-v4
s3proxy.identity=$ACCESS_KEY
s3proxy.credential=$SECRET_KEY
jclouds.provider=filesystem-nio2
jclouds.identity=local
jclouds.credential=local
jclouds.filesystem.basedir=$DATA_DIR
EOF
  mv -f "$PROPS.tmp" "$PROPS"
  # Without a config logback logs every Jetty buffer at DEBUG.
  cat >"$LOGBACK.tmp" <<EOF
<configuration>
  <appender name="STDOUT" class="ch.qos.logback.core.ConsoleAppender">
    <encoder><pattern>[%d] %level %msg \(%logger{20}\)%n</pattern></encoder>
  </appender>
  <root level="${S3_LOG_LEVEL:-warn}"><appender-ref ref="STDOUT"/></root>
</configuration>
EOF
  mv -f "$LOGBACK.tmp" "$LOGBACK"
}

wait_ready() {
  local pid="$1" deadline=$((SECONDS + START_TIMEOUT))
  while ((SECONDS < deadline)); do
    if ! kill -0 "$pid" 2>/dev/null; then
      log "error: S3Proxy exited during startup; last 40 lines of $LOG_FILE:"
      tail -n 40 "$LOG_FILE" >&2 || true
      rm -f "$PID_FILE"
      exit 1
    fi
    if http_answers; then
      log "endpoint: $ENDPOINT (bucket $BUCKET)"
      log "log:      $LOG_FILE"
      echo "$ENDPOINT"
      return 0
    fi
    sleep 0.3
  done
  log "error: S3Proxy not ready after ${START_TIMEOUT}s; last 40 lines of $LOG_FILE:"
  tail -n 40 "$LOG_FILE" >&2 || true
  stop_pid "$pid"
  exit 1
}

stop_pid() {
  local pid="$1" deadline=$((SECONDS + STOP_TIMEOUT))
  kill -TERM "$pid" 2>/dev/null || true
  while kill -0 "$pid" 2>/dev/null && ((SECONDS < deadline)); do sleep 0.2; done
  if kill -0 "$pid" 2>/dev/null; then
    log "S3Proxy pid $pid did not stop within ${STOP_TIMEOUT}s; sending SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
    while kill -0 "$pid" 2>/dev/null; do sleep 0.2; done
  fi
  rm -f "$PID_FILE"
}

cmd_start() {
  take_lock
  # A bucket of the filesystem backend is a directory: creating it needs no running server.
  mkdir -p "$DATA_DIR/$BUCKET"
  local pid
  if pid="$(server_pid)"; then
    if http_answers; then
      log "already running (pid $pid) at $ENDPOINT"
      echo "$ENDPOINT"
      return 0
    fi
    log "S3Proxy pid $pid is starting; waiting for it"
    wait_ready "$pid"
    return 0
  fi
  if port_open "$HOST" "$PORT"; then
    die "something else (not started by this script for $STATE_DIR) listens on $HOST:$PORT"
  fi
  require_java
  local t0=$SECONDS
  ensure_libs
  remove_stale_temp_files
  write_config
  [[ -f "$LOG_FILE" ]] && mv -f "$LOG_FILE" "$LOG_FILE.1"
  # setsid: own session, so the server outlives the shell/npm that started it; 9>&-: it must
  # not inherit the start/stop lock.
  # shellcheck disable=SC2086 # heap opts are intentionally word-split
  nohup setsid java ${S3_HEAP_OPTS:--Xms64m -Xmx384m} -XX:+UseSerialGC -Djava.awt.headless=true \
    -Dlogback.configurationFile="$LOGBACK" -cp "$LIBS/*" org.gaul.s3proxy.Main --properties "$PROPS" \
    >>"$LOG_FILE" 2>&1 </dev/null 9>&- &
  pid=$!
  echo "$pid" >"$PID_FILE"
  log "started S3Proxy $VERSION pid $pid, waiting up to ${START_TIMEOUT}s for it to answer"
  wait_ready "$pid"
  log "ready in $((SECONDS - t0))s"
}

cmd_stop() {
  local wipe="${S3_WIPE:-0}"
  case "${1:-}" in
    --wipe) wipe=1 ;;
    "") ;;
    *) die "usage: $0 stop [--wipe]" ;;
  esac
  take_lock
  local pid
  if pid="$(server_pid)"; then
    log "stopping S3Proxy pid $pid"
    stop_pid "$pid"
    log "stopped"
  else
    rm -f "$PID_FILE"
    log "not running"
  fi
  if [[ "$wipe" == 1 ]]; then
    log "wiping $STATE_DIR"
    exec 9>&-
    rm -rf "$STATE_DIR"
  fi
}

cmd_status() {
  local pid
  if pid="$(server_pid)"; then
    local ready="no (starting?)"
    http_answers && ready="yes"
    echo "status:   running"
    echo "pid:      $pid"
    echo "version:  S3Proxy $VERSION"
    echo "endpoint: $ENDPOINT (answering: $ready)"
    echo "log:      $LOG_FILE"
    echo "data:     $DATA_DIR"
    return 0
  fi
  echo "status:   stopped"
  echo "endpoint: $ENDPOINT"
  echo "data:     $DATA_DIR"
  return 3
}

cmd_env() {
  cat <<EOF
S3_ENDPOINT=$ENDPOINT
S3_FORCE_PATH_STYLE=true
AWS_REGION=us-east-1
AWS_ACCESS_KEY_ID=$ACCESS_KEY
AWS_SECRET_ACCESS_KEY=$SECRET_KEY
LAKE_URL=s3://$BUCKET/lake
EOF
}

main() {
  local cmd="${1:-}"
  [[ $# -gt 0 ]] && shift
  case "$cmd" in
    start) cmd_start "$@" ;;
    stop) cmd_stop "$@" ;;
    status) cmd_status "$@" ;;
    env) cmd_env "$@" ;;
    *)
      echo "usage: $0 start | stop [--wipe] | status | env" >&2
      exit 2
      ;;
  esac
}

main "$@"
