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
ARGS ?=

.DEFAULT_GOAL := help
.PHONY: help install run test test-unit test-integration test-e2e lint format typecheck bench clean

help: ## List the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-z0-9-]+:.*## / {printf "  make %-17s %s\n", $$1, $$2}' $(MAKEFILE_LIST)
	@echo "  (pass extra pytest arguments with ARGS=..., e.g. make test-unit ARGS='-k outbox')"

install: ## Create .venv (Python 3.11+) and install the locked dependencies
	@if [ ! -x $(PYTHON) ]; then \
		if command -v python3.11 >/dev/null 2>&1; then interpreter=python3.11; \
		elif python3 -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then interpreter=python3; \
		else echo "Python 3.11 or newer is required (python3.11 or python3 on PATH)" >&2; exit 1; fi; \
		echo "Creating $(VENV) with $$interpreter"; \
		$$interpreter -m venv $(VENV); \
	fi
	@[ -x $(UV) ] || $(VENV)/bin/pip install --quiet uv==$(UV_VERSION)
	@$(UV) sync --frozen --inexact --quiet

run: install ## Start the whole platform on this machine (Ctrl-C stops it)
	$(PYTHON) -m deploy.local

test: install ## Run every test: unit, integration (real engines) and end-to-end
	$(PYTEST) $(ARGS)

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

bench: install ## Run the benchmarks
	@if [ -d bench ]; then $(PYTHON) -m bench $(ARGS); \
	else echo "No benchmarks yet: bench/ comes with a later issue."; fi

clean: ## Delete caches and the local stack's state (.eig/: database, Temporal, mail, logs)
	rm -rf .eig .pytest_cache .mypy_cache .ruff_cache .hypothesis .benchmarks
	find . -path ./$(VENV) -prune -o -type d -name __pycache__ -exec rm -rf {} +
