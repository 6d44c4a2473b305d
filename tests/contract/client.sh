#!/usr/bin/env bash
# Generate a Python client from the live schema with a pinned openapi-python-client (in its own
# virtualenv, var/tools/genclient, not the app's), import every operation module, and run the five
# integrator flows of tests/contract/client_flows.py through that client alone.
#
# Needs a seeded database and a running app: CONTRACT_BASE_URL (default http://127.0.0.1:8501).
set -euo pipefail
cd "$(dirname "$0")/../.."

BASE_URL=${CONTRACT_BASE_URL:-http://127.0.0.1:8501}
GENERATOR_VERSION=0.29.1
TOOLS=var/tools/genclient
OUT=var/contract-client

if [ ! -x "$TOOLS/bin/openapi-python-client" ]; then
  "$(scripts/find_python.sh)" -m venv "$TOOLS"
  "$TOOLS/bin/pip" install --quiet "openapi-python-client==$GENERATOR_VERSION"
fi

rm -rf "$OUT" && mkdir -p "$OUT"
curl -fsS "$BASE_URL/api/schema/?format=json" -o "$OUT/schema.json"
"$TOOLS/bin/openapi-python-client" generate --path "$OUT/schema.json" --output-path "$OUT/attendance_client" \
  --meta none --config tests/contract/client-config.yaml >"$OUT/generate.log" 2>&1 || { cat "$OUT/generate.log"; exit 1; }
grep -A2 "WARNING" "$OUT/generate.log" || true
# The package lives one level down when --meta none writes the module itself.
"$TOOLS/bin/python" tests/contract/client_flows.py "$BASE_URL" "$OUT"
