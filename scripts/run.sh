#!/usr/bin/env bash
# Start the whole app: migrate, demo data, then supervise the ASGI server, the Celery worker and
# beat, and the outbox relay. A child that exits is restarted after a backoff (1 s doubling to
# 30 s; back to 1 s once it ran for a minute), and the supervisor says so on stderr. Ctrl-C stops all.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
PORT=${PORT:-8000}
HOST=${HOST:-127.0.0.1}

$PY manage.py ensure_database
$PY manage.py migrate --noinput
$PY manage.py seed_demo

# supervise NAME LOG COMMAND...: run COMMAND (output to LOG, or the terminal for "-") until stopped.
supervise() {
  local name=$1 log=$2 child="" delay=1 started status
  shift 2
  trap '[[ -n $child ]] && kill -TERM "$child" 2>/dev/null; wait 2>/dev/null; exit 0' TERM INT
  while true; do
    started=$SECONDS
    if [[ $log == - ]]; then "$@" & else "$@" >>"$log" 2>&1 & fi
    child=$!
    status=0
    wait "$child" || status=$?
    child=""
    (( SECONDS - started >= 60 )) && delay=1
    echo "run.sh: $name exited (status $status); restarting it in ${delay} s$([[ $log == - ]] || echo " (log: $log)")" >&2
    sleep "$delay"
    (( delay = delay * 2 > 30 ? 30 : delay * 2 ))
  done
}

pids=()
cleanup() {
  trap - EXIT INT TERM
  kill -TERM "${pids[@]}" 2>/dev/null || true
  wait 2>/dev/null || true
}
trap cleanup EXIT INT TERM

supervise "celery worker" var/celery-worker.log \
  .venv/bin/celery -A config worker --loglevel=INFO --concurrency=2 -Q default,meetings --without-gossip --without-mingle &
pids+=($!)
supervise "celery beat" var/celery-beat.log \
  .venv/bin/celery -A config beat --loglevel=INFO --schedule=var/celerybeat-schedule &
pids+=($!)
if [[ -n ${REDIS_URL:-} ]]; then
  relay_where="its own process (log: var/relay.log)"
  supervise "relay" var/relay.log $PY manage.py relay &
  pids+=($!)
else
  relay_where="inside the ASGI server (the in-memory channel layer lives there)"
fi
# No permessage-deflate: live messages are ~300 bytes of JSON; compressing each one for each socket
# (and inflating it in each client) spends fan-out CPU to save a few bytes. Compare with
# BENCH_WS_DEFLATE=true benchmarks/staff_ws_fanout.py.
supervise "uvicorn" - .venv/bin/uvicorn config.asgi:application --host "$HOST" --port "$PORT" --no-access-log \
  --ws-per-message-deflate false &
pids+=($!)

base="http://$HOST:$PORT"
cat <<MSG

  Attendance platform is running.
    Home (sign in):   $base/
    Admin:            $base/admin/
    API docs:         $base/api/docs/   (schema: $base/api/schema/, Redoc: $base/api/redoc/)
    Demo logins:      owner / demo1234 (superuser), manager / demo1234, reception / demo1234
    Live events:      the outbox relay runs $relay_where
    Logs:             var/celery-worker.log, var/celery-beat.log
    A process that stops is restarted (with a backoff) and reported here.
  Press Ctrl-C to stop.

MSG
wait
