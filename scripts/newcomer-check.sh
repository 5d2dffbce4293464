#!/usr/bin/env bash
# The newcomer's path: a fresh clone of this checkout's commit in a temporary folder, the machine's
# own node first on PATH (not a Node 24 that use-node24.sh or npm put there), and the README's first
# command as it is written (`npm ci && npm start`). Then `/` must serve the dashboard's HTML and
# /api/anomalies list an anomaly within 90 s of `npm start`, and Ctrl-C (SIGINT to the process
# group, as a terminal sends it) must stop it cleanly. Prints the timings for CI's log.
# Usage: bash scripts/newcomer-check.sh   (API_PORT=<port> to choose the port; default a free one)
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
commit="$(git -C "$repo" rev-parse HEAD)"
work="$(mktemp -d "${TMPDIR:-/tmp}/streamwatch-newcomer-XXXXXX")"
log="$work/start.log"
pgid=""
cleanup() {
  if [ -n "$pgid" ] && kill -0 -- "-$pgid" 2>/dev/null; then kill -KILL -- "-$pgid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
fail() {
  echo "newcomer check FAILED: $*" >&2
  echo "--- last lines of npm ci && npm start:" >&2
  tail -n 40 "$log" >&2 || true
  exit 1
}

# the machine's own node: drop what puts another one first (node_modules, the use-node24.sh cache)
cache="${STREAMWATCH_CACHE:-$HOME/.cache/streamwatch}"
PATH="$(printf '%s' "$PATH" | tr ':' '\n' | grep -v -e '/node_modules/' -e "^$cache/" | paste -sd: -)"
export PATH

# the README's first command, as written in its first ```sh block, without the comment
command="$(sed -n '/^```sh$/{n;p;q}' "$repo/README.md" | sed 's/ *#.*$//')"
case "$command" in
  "npm ci && npm start") ;;
  *) fail "the README's first command is \"$command\"; this check knows \`npm ci && npm start\`" ;;
esac

git clone -q "$repo" "$work/streamwatch"
git -C "$work/streamwatch" checkout -q --detach "$commit"
port="${API_PORT:-$(node -e 'const s = require("net").createServer().listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close() })')}"
echo "newcomer check: $commit, node $(node --version) ($(command -v node)), npm $(npm --version), port $port"
echo "\$ $command"

cd "$work/streamwatch"
# its own process group (setsid), so that SIGINT reaches npm, node and their children as a
# terminal's Ctrl-C would; the port comes from the environment, the command stays as written
API_PORT="$port" setsid bash -c "$command" >"$log" 2>&1 &
pgid=$!
began=$SECONDS
ci_seconds=""
started_at=""
anomaly_seconds=""
while :; do
  kill -0 "$pgid" 2>/dev/null || fail "npm ci && npm start exited ($(wait "$pgid"; echo $?))"
  if [ -z "$ci_seconds" ] && grep -q '^> streamwatch@.* start$' "$log"; then
    ci_seconds=$((SECONDS - began))
    started_at=$SECONDS
  fi
  if [ -z "$ci_seconds" ] && [ $((SECONDS - began)) -gt 150 ]; then fail "npm ci took over 150 s"; fi
  if [ -n "$started_at" ]; then
    if curl -fsS "http://127.0.0.1:$port/api/anomalies?limit=1" 2>/dev/null | grep -q '"items":\[{'; then
      anomaly_seconds=$((SECONDS - started_at))
      break
    fi
    if [ $((SECONDS - started_at)) -gt 90 ]; then fail "no anomaly at /api/anomalies within 90 s of npm start"; fi
  fi
  sleep 1
done
curl -fsS "http://127.0.0.1:$port/" | grep -q '<div id="root">' || fail "/ does not serve the dashboard's HTML"
grep -q "^dashboard and API: http://127.0.0.1:$port" "$log" || fail "the start banner does not name the dashboard"

kill -INT -- "-$pgid"
stop_began=$SECONDS
while kill -0 "$pgid" 2>/dev/null; do
  if [ $((SECONDS - stop_began)) -gt 30 ]; then fail "still running 30 s after Ctrl-C"; fi
  sleep 0.5
done
set +e
wait "$pgid"
code=$?
set -e
pgid=""
# npm answers Ctrl-C with 130 even when the command it ran exits 0, as streamwatch does after a
# clean stop: its last line says so
case "$code" in 0 | 130) ;; *) fail "exit code $code after Ctrl-C" ;; esac
grep -q '^streamwatch stopped$' "$log" || fail "Ctrl-C did not stop streamwatch cleanly"

echo "newcomer check passed: npm ci ${ci_seconds} s; npm start to the first anomaly ${anomaly_seconds} s;" \
  "$(grep -o 'dashboard built in [0-9.]* s' "$log" || echo 'dashboard not built at start')" \
  "; node_modules $(du -sh node_modules | cut -f1); exit code after Ctrl-C ${code}"
