#!/usr/bin/env bash
# Print the newest Python >= 3.11 on this machine (a newer interpreter runs the same views faster).
set -u
best="" best_version=0
candidates=(python3.14 python3.13 python3.12 python3.11 python3)
for dir in "$HOME"/.pyenv/versions/*/bin /usr/local/bin /usr/bin; do
  for exe in "$dir"/python3.1[1-9]; do [ -x "$exe" ] && candidates+=("$exe"); done
done
for candidate in "${candidates[@]}"; do
  version=$("$candidate" -c 'import sys, venv, ensurepip; v=sys.version_info; print(v[0]*100+v[1] if v >= (3, 11) else 0)' 2>/dev/null) || continue
  if [ "${version:-0}" -gt "$best_version" ]; then best="$candidate"; best_version=$version; fi
done
if [ -z "$best" ]; then echo "No Python >= 3.11 with venv and ensurepip found; install python3 (>= 3.11) and python3-venv." >&2; exit 1; fi
command -v "$best" 2>/dev/null || echo "$best"
