# One-command developer workflow: `make run` starts the whole platform, `make test` checks it.
# Every target installs what it needs first (idempotent, about a second when nothing changed).

SHELL := /bin/bash
VENV := .venv
PYTHON := $(VENV)/bin/python
UV := $(VENV)/bin/uv
UV_VERSION := 0.13.8
PYTEST := $(VENV)/bin/pytest
RUFF := $(VENV)/bin/ruff
MYPY := $(VENV)/bin/mypy
TYPED_PATHS := libs services workflows deploy tests $(wildcard bench)
NPM_INSTALLED := node_modules/.package-lock.json
ARGS ?=
# The whole suite on two workers: the end-to-end tests (one stack) on one, the rest on the other
# (tests/e2e/conftest.py); most of their time is waiting on processes, not the CPU.
TEST_WORKERS ?= 2
PARALLEL := -n $(TEST_WORKERS) --dist loadgroup
# The code defaults to production behaviour (libs/config.py); this machine's commands are
# development's (make run, make status) unless the caller says otherwise. Tests set `test`.
export ENVIRONMENT ?= development

.DEFAULT_GOAL := help
.PHONY: help install run status test test-unit test-integration test-e2e lint format typecheck bench chaos fuzz clean

help: ## List the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-z0-9-]+:.*## / {printf "  make %-17s %s\n", $$1, $$2}' $(MAKEFILE_LIST)
	@echo "  (pass extra pytest arguments with ARGS=..., e.g. make test-unit ARGS='-k outbox')"

install: $(NPM_INSTALLED) ## Create .venv (Python 3.11+), install the locked dependencies, DSFR's assets, Chromium
	@if [ ! -x $(PYTHON) ]; then \
		if command -v python3.11 >/dev/null 2>&1; then interpreter=python3.11; \
		elif python3 -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then interpreter=python3; \
		else echo "Python 3.11 or newer is required (python3.11 or python3 on PATH)" >&2; exit 1; fi; \
		echo "Creating $(VENV) with $$interpreter"; \
		$$interpreter -m venv $(VENV); \
	fi
	@[ -x $(UV) ] || $(VENV)/bin/pip install --quiet uv==$(UV_VERSION)
	@$(UV) sync --frozen --inexact --quiet
	@$(PYTHON) -m libs.web.assets
	@if ! command -v chromium >/dev/null 2>&1; then \
		if [ "$$(id -u)" = 0 ]; then \
			echo "Installing Debian's chromium package (for the browser tests)"; \
			export DEBIAN_FRONTEND=noninteractive; \
			apt-get install -y -q chromium >/dev/null 2>&1 \
				|| { apt-get update -q >/dev/null && apt-get install -y -q chromium >/dev/null; }; \
		else \
			echo "The browser tests need Debian's Chromium: run 'sudo apt-get install -y chromium'" >&2; \
			exit 1; \
		fi; \
	fi
	@if ! command -v promtool >/dev/null 2>&1; then \
		if [ "$$(id -u)" = 0 ]; then \
			echo "Installing Debian's prometheus package (promtool and Prometheus, for the monitoring tests)"; \
			export DEBIAN_FRONTEND=noninteractive; \
			apt-get install -y -q --no-install-recommends prometheus >/dev/null 2>&1 \
				|| { apt-get update -q >/dev/null && apt-get install -y -q --no-install-recommends prometheus >/dev/null; }; \
		else \
			echo "The monitoring tests need Debian's prometheus package: run 'sudo apt-get install -y prometheus'" >&2; \
			exit 1; \
		fi; \
	fi

# The State design system from npm (package-lock.json), again only when the lock file changed.
$(NPM_INSTALLED): package.json package-lock.json .dsfr.yml
	@command -v npm >/dev/null 2>&1 || { echo "npm (Node.js 20.19 or newer) is required" >&2; exit 1; }
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

run: install ## Start the whole platform on this machine (Ctrl-C stops it)
	$(PYTHON) -m deploy.local

status: install ## What is stuck, where and since when (ARGS='--json', '--threshold NAME=VALUE', 'dead-letters list')
	@$(PYTHON) -m deploy.status $(ARGS)

test: install ## Run every test: unit, integration (real engines) and end-to-end (TEST_WORKERS=2)
	$(PYTEST) $(PARALLEL) $(ARGS)

test-unit: install ## Run the unit tests
	$(PYTEST) tests/unit $(ARGS)

test-integration: install ## Run the integration tests (real broker, Temporal, databases, SMTP)
	$(PYTEST) tests/integration $(ARGS)

test-e2e: install ## Run the end-to-end tests (the whole system as separate processes)
	$(PYTEST) tests/e2e $(ARGS)

lint: install ## Check style and common mistakes (ruff)
	$(RUFF) check .
	$(RUFF) format --check .

format: install ## Format the code and apply safe fixes (ruff)
	$(RUFF) format .
	$(RUFF) check --fix .

typecheck: install ## Type-check in strict mode (mypy)
	$(MYPY) $(TYPED_PATHS)

fuzz: install ## Fuzz every service's OpenAPI document on a local stack (ARGS='--max-examples 500 --seed 1')
	$(PYTHON) -m bench.fuzz $(ARGS)

bench: install ## Run the benchmarks
	@if [ -d bench ]; then $(PYTHON) -m bench $(ARGS); \
	else echo "No benchmarks yet: bench/ comes with a later issue."; fi

chaos: install ## Applications while the worker, notifications, the broker and SMTP fail (ARGS='--applications 100')
	$(PYTHON) -m bench.chaos $(ARGS)

clean: ## Delete caches and the local stack's state (.eig/: database, Temporal, mail, logs)
	rm -rf .eig .pytest_cache .mypy_cache .ruff_cache .hypothesis .benchmarks test-artifacts
	find . -path ./$(VENV) -prune -o -type d -name __pycache__ -exec rm -rf {} +
