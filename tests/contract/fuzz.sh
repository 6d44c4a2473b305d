#!/usr/bin/env bash
# Fuzz the live API on PostgreSQL with schemathesis: every operation of the served schema, as a
# worker (API token) and as a device (device key), with a fixed seed. Checks: no server error, only
# declared statuses and content types, bodies that match the schema. Exit status 0 only with 0 failures.
#
#   tests/contract/fuzz.sh            (CONTRACT_PORT, CONTRACT_DB, CONTRACT_EXAMPLES, CONTRACT_SEED, REDIS_URL)
#
# schemathesis runs from its own virtualenv (var/tools/fuzz), not the app's.
set -euo pipefail
cd "$(dirname "$0")/../.."

PORT=${CONTRACT_PORT:-8501}
DB=${CONTRACT_DB:-attendance_contract}
EXAMPLES=${CONTRACT_EXAMPLES:-6}
SEED=${CONTRACT_SEED:-20261203}
SCHEMATHESIS_VERSION=4.32.5
TOOLS=var/tools/fuzz
export DATABASE_URL="postgres://postgres@127.0.0.1:5432/$DB"
export REDIS_URL=${REDIS_URL:-redis://127.0.0.1:6379/0}
export PYTHONUNBUFFERED=1

if [ ! -x "$TOOLS/bin/schemathesis" ]; then
  "$(scripts/find_python.sh)" -m venv "$TOOLS"
  "$TOOLS/bin/pip" install --quiet "schemathesis==$SCHEMATHESIS_VERSION"
fi

psql -h 127.0.0.1 -U postgres -qc "DROP DATABASE IF EXISTS $DB WITH (FORCE)" >/dev/null
psql -h 127.0.0.1 -U postgres -qc "CREATE DATABASE $DB" >/dev/null
.venv/bin/python manage.py migrate --noinput -v0
.venv/bin/python manage.py seed_demo >/dev/null
eval "$(.venv/bin/python tests/contract/principals.py)"

.venv/bin/uvicorn config.asgi:application --host 127.0.0.1 --port "$PORT" --no-access-log --log-level warning \
  >var/contract-fuzz-server.log 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true; wait $server 2>/dev/null || true' EXIT
for _ in $(seq 60); do curl -fs "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 1; done

status=0
for principal in worker device; do
  if [ "$principal" = worker ]; then auth="Token $WORKER_TOKEN"; else auth="Device $DEVICE_KEY"; fi
  printf '\n---- schemathesis as a %s (organization %s, seed %s, %s examples per operation) ----\n' \
    "$principal" "$ORGANIZATION" "$SEED" "$EXAMPLES"
  "$TOOLS/bin/schemathesis" run "http://127.0.0.1:$PORT/api/schema/" \
    --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance \
    --phases examples,coverage,fuzzing --seed "$SEED" --max-examples "$EXAMPLES" --workers 2 \
    --header "Authorization: $auth" --request-timeout 30 --no-shrink --output-truncate true \
    --report junit --report-junit-path "var/contract-fuzz-$principal.xml" || status=1
done
exit $status
