# Kestrel: the two commands are `make run` and `make test`; everything else supports them.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= $(shell command -v python3.13 2>/dev/null || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
MANAGE := $(BIN)/python manage.py
PORT ?= 8000
export UV_PYTHON_DOWNLOADS := never
export UV_PROJECT_ENVIRONMENT := $(VENV)

.PHONY: help run test test-fast lint format install assets bench clean

help:
	@echo "make run    serve the demo school on http://127.0.0.1:$(PORT) with the task worker"
	@echo "make test   run the whole test suite (needs Debian's chromium for browser tests)"
	@echo "make lint   ruff check + format check"

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
	$(BIN)/pytest

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# Front-end base (GOV.UK Frontend unbranded, htmx 2, accessible-autocomplete, axe-core): the built
# files are committed under kestrel/static/vendor so that running Kestrel needs no Node.
assets:
	npm ci --no-audit --no-fund
	bash assets/build.sh

clean:
	rm -rf $(VENV) var/test-artifacts
