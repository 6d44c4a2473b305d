#!/usr/bin/env bash
# The API contract stages against the live app on PostgreSQL (CI runs this after the test suites):
#   1. the served schema validates (openapi-spec-validator), with its figures;
#   2. a client generated from it imports every operation and passes five integrator flows
#      (tests/contract/client.sh);
#   3. schemathesis fuzzes every operation as a worker (API token) and as a device (device key),
#      fixed seed, the examples, coverage (boundary values) and fuzzing phases: no server error, only
#      declared statuses, content types and bodies, and at least CONTRACT_MIN_CASES (1,000) generated
#      cases per principal; a summary of both runs ends the log.
# Exit status 0 only if all three pass with 0 failures.
#
#   tests/contract/run.sh   (CONTRACT_PORT=8501 CONTRACT_DB=attendance_contract CONTRACT_EXAMPLES CONTRACT_PHASES
#                            CONTRACT_MIN_CASES CONTRACT_SEED REDIS_URL)
set -euo pipefail
cd "$(dirname "$0")/../.."

PORT=${CONTRACT_PORT:-8501}
DB=${CONTRACT_DB:-attendance_contract}
EXAMPLES=${CONTRACT_EXAMPLES:-10}
PHASES=${CONTRACT_PHASES:-examples,coverage,fuzzing}
MIN_CASES=${CONTRACT_MIN_CASES:-1000}
SEED=${CONTRACT_SEED:-20261203}
SCHEMATHESIS_VERSION=4.32.5
FUZZ=var/tools/fuzz
export CONTRACT_BASE_URL="http://127.0.0.1:$PORT"
export DATABASE_URL="postgres://postgres@127.0.0.1:5432/$DB"
export REDIS_URL=${REDIS_URL:-redis://127.0.0.1:6379/0}
export PYTHONUNBUFFERED=1
export WEBHOOK_SECRET=${WEBHOOK_SECRET:-contract-webhook-secret}  # the signed webhook is fuzzed enabled
mkdir -p var

step() { printf '\n---- %s ----\n' "$*"; }

step "database $DB: migrate and seed the demo organizations"
psql -h 127.0.0.1 -U postgres -qc "DROP DATABASE IF EXISTS $DB WITH (FORCE)" >/dev/null
psql -h 127.0.0.1 -U postgres -qc "CREATE DATABASE $DB" >/dev/null
.venv/bin/python manage.py migrate --noinput -v0
.venv/bin/python manage.py seed_demo 2>/dev/null | grep -v '^  \['
eval "$(.venv/bin/python tests/contract/principals.py)"

.venv/bin/uvicorn config.asgi:application --host 127.0.0.1 --port "$PORT" --no-access-log --log-level warning \
  >var/contract-server.log 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true; wait $server 2>/dev/null || true' EXIT
for _ in $(seq 60); do curl -fs "$CONTRACT_BASE_URL/healthz" >/dev/null && break; sleep 1; done

step "the served schema"
curl -fsS "$CONTRACT_BASE_URL/api/schema/?format=json" -o var/contract-schema.json
.venv/bin/python tests/contract/figures.py var/contract-schema.json

step "generated client: every operation imports, five integrator flows"
status=0
tests/contract/client.sh || status=1

if [ ! -x "$FUZZ/bin/schemathesis" ]; then
  "$(scripts/find_python.sh)" -m venv "$FUZZ"
  "$FUZZ/bin/pip" install --quiet "schemathesis==$SCHEMATHESIS_VERSION"
fi
# The device runs first: the worker (an admin) may revoke device keys while it fuzzes `devices/{id}/revoke/`.
summary=()
for principal in device worker; do
  if [ "$principal" = worker ]; then auth="Token $WORKER_TOKEN"; else auth="Device $DEVICE_KEY"; fi
  step "schemathesis as a $principal (organization $ORGANIZATION, seed $SEED, phases $PHASES, $EXAMPLES examples per operation)"
  log="var/contract-fuzz-$principal.log"
  "$FUZZ/bin/schemathesis" run "$CONTRACT_BASE_URL/api/schema/?format=json" \
    --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance \
    --phases "$PHASES" --seed "$SEED" --max-examples "$EXAMPLES" --workers 2 \
    --header "Authorization: $auth" --request-timeout 30 --no-shrink --output-truncate true \
    --report junit --report-junit-path "var/contract-fuzz-$principal.xml" 2>&1 | tee "$log" || status=1
  # Schemathesis' own summary line, e.g. "1386 generated, 1386 passed" (or "..., 3 failed").
  cases=$(grep -oE '^ *[0-9]+ generated.*' "$log" | tail -n1 | sed 's/^ *//' || true)
  generated=${cases%% *}
  if [ -z "$generated" ] || [ "$generated" -lt "$MIN_CASES" ]; then
    echo "contract: only ${generated:-0} cases generated as a $principal; at least $MIN_CASES are required" >&2
    status=1
  fi
  summary+=("  as a $principal: ${cases:-no summary (see $log)}")
done
step "schemathesis summary (seed $SEED, phases $PHASES, at least $MIN_CASES cases per principal)"
printf '%s\n' "${summary[@]}"
exit $status
