# make dev   — run everything locally (Temporal dev server + UI :8233, worker, API :8000); state under var/
# make test  — lint, format check, mypy --strict, then pytest on SQLite and, side by side, on PostgreSQL if it answers

SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
PG_DSN ?= postgresql://postgres@127.0.0.1:5432/test
PG_URL ?= $(subst postgresql://,postgresql+asyncpg://,$(PG_DSN))
# The suite's PostgreSQL run: migrations as the schema's owner, the service as a role that may only append events.
PG_OWNER_URL ?= $(subst postgres@,aftersales_owner@,$(PG_URL))
PG_SERVICE_URL ?= $(subst postgres@,aftersales_service@,$(PG_URL))
# mypy --strict on the application packages that exist so far
TYPED := $(wildcard rulebook models workflows activities api storage devtools telemetry bench settings.py signing_keys.py temporal_options.py worker.py)

.PHONY: help venv dev prod-local test lint typecheck pytest pytest-sqlite pytest-postgres browser clean-var

help:
	@echo "make dev        run Temporal dev server (UI http://127.0.0.1:8233), worker and API (http://127.0.0.1:8000/docs)"
	@echo "make prod-local the production shape: 2 APIs (:8000, :8001), 2 workers, Temporal dev server, PostgreSQL (PG_DSN)"
	@echo "make test       ruff, mypy --strict, pytest on SQLite and side by side on PostgreSQL (if 127.0.0.1:5432 answers)"
	@echo "make lint       ruff check + ruff format --check"
	@echo "make browser    install Debian's chromium and a CJK font for the browser tests (where apt-get works)"
	@echo "make clean-var  delete var/ (local databases, evidence files): a fresh start"

venv: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $@

dev: venv
	$(PY) -m devtools.run_dev

# The production shape on one machine: roles and migrations once (as the owner), then a Temporal dev server, 2 API
# processes and 2 workers as the service role (devtools/run_prod.py: PROD_ARGS='--help' for more or fewer, a cluster).
prod-local: venv
	$(PY) -m devtools.run_prod --pg-dsn '$(PG_DSN)' $(PROD_ARGS)

test: lint typecheck browser pytest

# The browser tests (tests/browser) drive Debian's Chromium with Playwright; without it they are skipped, saying why.
browser:
	@if command -v chromium >/dev/null && fc-list :lang=zh | grep -q .; then \
		echo "chromium and a CJK font are installed"; \
	elif command -v apt-get >/dev/null && [ "$$(id -u)" = 0 ]; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk >/dev/null; \
	else \
		echo "no chromium, and apt-get needs root here: the browser tests will be skipped"; \
	fi

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: venv
	$(VENV)/bin/mypy $(TYPED)

# The two databases' runs go side by side (each prints its own report when it ends): the suite is mostly waiting on
# Temporal and the databases, so two runs share the two cores well.
pytest: venv
	$(MAKE) --no-print-directory -j2 --output-sync=target pytest-sqlite pytest-postgres

pytest-sqlite: venv
	env -u AFTERSALES_TEST_DATABASE_URL -u AFTERSALES_TEST_OWNER_DATABASE_URL $(PY) -m pytest -q

pytest-postgres: venv
	@if $(PY) -m devtools.pg_ready '$(PG_DSN)'; then \
		echo "PostgreSQL answers on 127.0.0.1:5432: running the suite again on it, as the least-privilege service role"; \
		$(PY) -m devtools.pg_roles '$(PG_DSN)'; \
		AFTERSALES_TEST_OWNER_DATABASE_URL='$(PG_OWNER_URL)' AFTERSALES_TEST_DATABASE_URL='$(PG_SERVICE_URL)' \
			$(PY) -m pytest -q --ignore=tests/browser; \
	else \
		echo "PostgreSQL not reachable on 127.0.0.1:5432: skipping the PostgreSQL run"; \
	fi

clean-var:
	rm -rf var
