# make run   — set up everything on a fresh machine and start the app (embedded defaults)
# make test  — run the whole test suite (SQLite; set DATABASE_URL/REDIS_URL for PostgreSQL + Redis)
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000

.PHONY: run setup test lint bench demo clean

$(VENV)/.installed: requirements.txt requirements.lock
	@echo "==> Python environment in $(VENV): installing the pinned dependencies (a minute or two on the first run)…"
	@test -x $(PY) || $$(scripts/find_python.sh) -m venv $(VENV)
	@$(PY) -m pip install --quiet --upgrade pip
	@$(PY) -m pip install --quiet -r requirements.txt -c requirements.lock
	@echo "==> dependencies installed"
	@touch $@

setup: $(VENV)/.installed

run: setup
	PORT=$(PORT) scripts/run.sh

demo: setup
	$(PY) manage.py ensure_database
	$(PY) manage.py migrate --noinput
	$(PY) manage.py seed_demo

test: setup
	$(PY) -m pytest $(PYTEST_ARGS)

lint: setup
	$(VENV)/bin/ruff check .

bench: setup
	$(PY) benchmarks/run_all.py

clean:
	rm -rf $(VENV) var
