# Kestrel: the two commands are `make run` and `make test`; everything else supports them.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= $(shell command -v python3.13 2>/dev/null || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
MANAGE := $(BIN)/python manage.py
PORT ?= 8000
BENCH_SIZE ?= small
BENCH_SECONDS ?= 10
BENCH_MIXED_SECONDS ?= 60
export UV_PYTHON_DOWNLOADS := never
export UV_PROJECT_ENVIRONMENT := $(VENV)

.PHONY: help run test test-fast lint format install assets bench clean

help:
	@echo "make run    serve the demo school on http://127.0.0.1:$(PORT) with the task worker"
	@echo "make test   run the whole test suite (needs Debian's chromium for browser tests)"
	@echo "make lint   ruff check + format check + the import layers (.importlinter)"
	@echo "make bench  time the pages under gunicorn with wrk, against a bare Django view"
	@echo "            (BENCH_SIZE=small|large, BENCH_SECONDS=10, BENCH_MIXED_SECONDS=60; SQLite, or PostgreSQL with"
	@echo "            DATABASE_URL=postgres://user@host:5432/any: the bench makes its own database)"

# The environment is rebuilt whenever the lock file changes.
$(BIN)/.synced: uv.lock pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@test -x $(BIN)/uv || $(BIN)/python -m pip install --quiet --disable-pip-version-check "uv==0.13.9"
	$(BIN)/uv sync --locked --quiet
	@touch $@

install: $(BIN)/.synced

run: install
	$(MANAGE) migrate --noinput
	$(MANAGE) seed_demo --if-empty
	$(MANAGE) tidy
	$(MANAGE) serve --port $(PORT)

test: install
	$(BIN)/pytest $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-cache --no-logo

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# Benchmarks: Kestrel under gunicorn as in production, each page driven by Debian's wrk as
# signed-in staff and compared with a bare Django view; results in var/bench/. The bench seeds
# and keeps a database of its own (var/bench/kestrel-<size>.sqlite3, or kestrel_bench_<size> on
# the PostgreSQL server DATABASE_URL names), never the one `make run` uses.
bench: install
	@command -v wrk >/dev/null 2>&1 || { \
	  echo "bench: installing Debian's wrk"; \
	  sudo=$$([ "$$(id -u)" -eq 0 ] || echo sudo); \
	  $$sudo apt-get update -qq && \
	  $$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends wrk >/dev/null; }
	$(MANAGE) bench --size $(BENCH_SIZE) --seconds $(BENCH_SECONDS) --mixed-seconds $(BENCH_MIXED_SECONDS)
	$(MANAGE) bench_roster

# Front-end base (GOV.UK Frontend unbranded, htmx 2, accessible-autocomplete, axe-core): the built
# files are committed under kestrel/static/vendor so that running Kestrel needs no Node.
assets:
	npm ci --no-audit --no-fund
	bash assets/build.sh

clean:
	rm -rf $(VENV) var/test-artifacts
