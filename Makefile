# Two commands on a fresh machine: `make refresh`, then `make test`.
SHELL := /bin/bash
UV := python3 -m uv
VENV := .venv
BIN := $(VENV)/bin
export DBT_SEND_ANONYMOUS_USAGE_STATS := false
export DO_NOT_TRACK := 1
export GX_ANALYTICS_ENABLED := false

.PHONY: install refresh test lint bench dagster clean

install: $(VENV)/.installed ## create .venv from uv.lock and parse the dbt project

$(VENV)/.installed: pyproject.toml uv.lock $(wildcard dbt_project/*.yml dbt_project/models/*/*.yml)
	@python3 -m uv --version >/dev/null 2>&1 || python3 -m pip install --quiet uv
	$(UV) sync --frozen
	cd dbt_project && ../$(BIN)/dbt parse --quiet
	@touch $@

refresh: install ## run the whole pipeline (generates the sample landing if data/landing is empty)
	$(BIN)/talent refresh

test: install ## unit, integration and end-to-end tests
	$(BIN)/pytest

lint: install
	$(BIN)/ruff check ingest synth expectations orchestration publish talent tests

bench: install ## benchmark at the sample scale; see `talent bench --help`
	$(BIN)/talent bench --scale sample

dagster: install ## the Dagster UI on the same Definitions the schedule runs
	$(BIN)/dagster dev -m orchestration.definitions

clean:
	rm -rf data/warehouse/*.duckdb data/warehouse/.build dbt_project/target
