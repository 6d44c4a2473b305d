#!/usr/bin/env bash
# Start the whole app: migrate, demo data, ASGI server, Celery worker and beat. Ctrl-C stops all.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
PORT=${PORT:-8000}
HOST=${HOST:-127.0.0.1}

$PY manage.py ensure_database
$PY manage.py migrate --noinput
$PY manage.py seed_demo

pids=()
cleanup() { kill "${pids[@]}" 2>/dev/null || true; wait 2>/dev/null || true; }
trap cleanup EXIT INT TERM

.venv/bin/celery -A config worker --loglevel=INFO --concurrency=2 -Q default,realtime,meetings >var/celery-worker.log 2>&1 &
pids+=($!)
.venv/bin/celery -A config beat --loglevel=INFO --schedule=var/celerybeat-schedule >var/celery-beat.log 2>&1 &
pids+=($!)
.venv/bin/uvicorn config.asgi:application --host "$HOST" --port "$PORT" --no-access-log &
pids+=($!)

base="http://$HOST:$PORT"
cat <<MSG

  Attendance platform is running.
    Home (sign in):   $base/
    Admin:            $base/admin/
    API docs:         $base/api/docs/   (schema: $base/api/schema/, Redoc: $base/api/redoc/)
    Demo logins:      owner / demo1234 (superuser), manager / demo1234, reception / demo1234
    Logs:             var/celery-worker.log, var/celery-beat.log
  Press Ctrl-C to stop.

MSG
wait -n "${pids[@]}"
