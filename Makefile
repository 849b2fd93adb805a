# The named commands of the project. `make run` and `make test` do all set-up on a fresh machine.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: run test install install-test spa migrate lint test-backend test-frontend test-e2e services chromium worker bench bench-load

# Each set-up step leaves a file behind and runs again only when what it is made from changed, so a second
# `make run` with nothing changed goes straight to the migrations and the server.
INSTALLED := $(VENV)/.installed
TEST_INSTALLED := $(VENV)/.installed-test
SPA_BUILT := frontend/dist/index.html
SPA_SOURCES := $(shell find frontend/src frontend/public -type f 2>/dev/null) frontend/index.html \
	frontend/package.json frontend/vite.config.ts frontend/tsconfig.json frontend/scripts/precompress.mjs

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(INSTALLED): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

# The test extras include everything `install` installs.
$(TEST_INSTALLED): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@ $(INSTALLED)

install: $(INSTALLED)

install-test: $(TEST_INSTALLED)

frontend/node_modules/.package-lock.json: frontend/package-lock.json
	cd frontend && npm ci --no-audit --no-fund

$(SPA_BUILT): $(SPA_SOURCES) frontend/node_modules/.package-lock.json
	cd frontend && npm run build
	touch $@

spa: $(SPA_BUILT)

migrate: install
	$(BIN)/alembic upgrade head

## The product on the embedded default: SQLite, local disk, the offline provider, at http://localhost:8000
run: install spa migrate
	$(BIN)/python -m app serve --host $(HOST) --port $(PORT)

## A separate generation worker (needs TASK_BROKER_URL=redis://... here and in the API's environment)
worker: install
	$(BIN)/taskiq worker app.worker:broker

## Everything: lint, types, the backend on SQLite and PostgreSQL, the SPA's unit and browser tests
test: lint test-backend test-frontend test-e2e

lint: install-test
	$(BIN)/ruff check app tests migrations bench
	$(BIN)/mypy

test-backend: install-test services
	$(BIN)/pytest

test-frontend: install-test frontend/node_modules/.package-lock.json
	cd frontend && npm run check:api && npm run typecheck && npm run lint && npm run format:check && npm test

test-e2e: install-test frontend/node_modules/.package-lock.json chromium
	cd frontend && npm run test:e2e

# The tests need PostgreSQL and Redis on this machine: start them when installed but stopped, else say so.
services:
	@$(BIN)/python -c "import socket; socket.create_connection(('127.0.0.1', 5432), 2)" 2>/dev/null \
	  || { [ -n "$$TEST_POSTGRES_URL" ] || ! command -v pg_ctlcluster >/dev/null \
	       || $(SUDO) pg_ctlcluster --skip-systemctl-redirect $$(ls /etc/postgresql | head -n1) main start; } \
	  || true
	@[ -n "$$TEST_POSTGRES_URL" ] || $(BIN)/python -c "import socket; socket.create_connection(('127.0.0.1', 5432), 2)" \
	  2>/dev/null || { echo "PostgreSQL is not running on 127.0.0.1:5432; the tests need it (or TEST_POSTGRES_URL)." >&2; exit 1; }
	@$(BIN)/python -c "import socket; socket.create_connection(('127.0.0.1', 6379), 2)" 2>/dev/null \
	  || { [ -n "$$TEST_REDIS_URL" ] || ! command -v redis-server >/dev/null \
	       || redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no >/dev/null; } \
	  || true
	@[ -n "$$TEST_REDIS_URL" ] || for i in 1 2 3 4 5; do \
	  $(BIN)/python -c "import socket; socket.create_connection(('127.0.0.1', 6379), 2)" 2>/dev/null && exit 0; sleep 1; \
	  done; [ -n "$$TEST_REDIS_URL" ] || { echo "Redis is not running on 127.0.0.1:6379; the tests need it (or TEST_REDIS_URL)." >&2; exit 1; }

# Browser tests drive Debian's Chromium (test tools cannot download their own browser here).
chromium:
	@command -v chromium >/dev/null || { $(SUDO) apt-get update -qq \
	  && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium >/dev/null; }
	@command -v chromium >/dev/null || { echo "Chromium is missing and could not be installed." >&2; exit 1; }

## Performance figures, each beside a bare reference measured in the same run (a report: exits 0 when targets fail)
bench: install-test services
	@command -v wrk >/dev/null || { $(SUDO) apt-get update -qq \
	  && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq wrk >/dev/null; }
	@command -v wrk >/dev/null || { echo "wrk is missing and could not be installed." >&2; exit 1; }
	$(BIN)/python -m bench

## The durability run: mixed traffic for LOAD_SECONDS (default 600), then checks that nothing was lost (pass/fail)
bench-load: install-test services
	$(BIN)/python -m bench.load
