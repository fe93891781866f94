# Two commands on a fresh machine: `make refresh`, then `make test`.
SHELL := /bin/bash
UV := python3 -m uv
VENV := .venv
BIN := $(VENV)/bin
export DBT_SEND_ANONYMOUS_USAGE_STATS := false
export DO_NOT_TRACK := 1
export GX_ANALYTICS_ENABLED := false

.PHONY: install refresh test browser lint bench dagster bi bi-install clean

PACKAGES := ingest synth expectations orchestration publish talent

# Bytecode is compiled once, at install: where PYTHONDONTWRITEBYTECODE is set (this machine, many
# containers) Python would otherwise compile every module it imports, in every process (~3.4 s of a
# refresh's start-up, and as much again in its dbt process and its suite worker).
install: $(VENV)/.installed ## create .venv from uv.lock (bytecode compiled) and parse the dbt project

$(VENV)/.installed: Makefile pyproject.toml uv.lock $(wildcard dbt_project/*.yml dbt_project/models/*.yml dbt_project/models/*.md dbt_project/models/*/*.yml)
	@python3 -m uv --version >/dev/null 2>&1 || python3 -m pip install --quiet uv
	$(UV) sync --frozen --compile-bytecode
	$(BIN)/python -m compileall -q -j 0 $(PACKAGES) >/dev/null
	cd dbt_project && ../$(BIN)/dbt parse --quiet
	@touch $@

refresh: install ## run the whole pipeline (generates the embedded sample if data/landing is empty)
	$(BIN)/talent generate --out data/landing --if-empty
	$(BIN)/talent refresh

TEST_WORKERS ?= 2
test: install browser ## unit, integration and end-to-end tests (the browser test included), on TEST_WORKERS processes
	$(BIN)/pytest -n $(TEST_WORKERS) --dist loadgroup --no-loadscope-reorder

browser: ## Debian's Chromium and CJK fonts, for the browser test (installed with apt-get when missing; as root)
	@command -v chromium >/dev/null 2>&1 && fc-list 2>/dev/null | grep -qi "Noto Sans CJK" || { \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk >/dev/null; }

lint: install
	$(BIN)/ruff check $(PACKAGES) tests bi

bench: install ## benchmark at the sample scale; see `talent bench --help`
	$(BIN)/talent bench --scale sample

dagster: install ## the Dagster UI on the same Definitions the schedule runs
	$(BIN)/dagster dev -m orchestration.definitions

bi-install: bi/.venv/.installed ## Superset's own environment, bi/.venv, from bi/uv.lock

bi/.venv/.installed: bi/pyproject.toml bi/uv.lock
	@python3 -m uv --version >/dev/null 2>&1 || python3 -m pip install --quiet uv
	cd bi && $(UV) sync --frozen --compile-bytecode
	@touch $@

bi: install bi-install ## Superset on http://127.0.0.1:8088 with the dashboards, on the published file
	bi/.venv/bin/python bi/setup.py

clean:
	rm -rf data/warehouse/*.duckdb data/warehouse/.build dbt_project/target
