# One task runner: people and CI use the same targets.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
DEMO_EXTRACT := data/demo/philadelphia_311/public_cases_fc.csv
WAREHOUSE := data/citystat.duckdb
PORT ?= 8501

.PHONY: demo test lint typecheck pytest dashboard public warehouse clean browser cities

## demo: create .venv, install, build the demo warehouse, start the dashboard on localhost
demo: $(BIN)/.installed warehouse dashboard

$(BIN)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(BIN)/.installed-test: $(BIN)/.installed pyproject.toml
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

$(DEMO_EXTRACT): | $(BIN)/.installed
	$(BIN)/citystat demo-data

## warehouse: (re)build data/citystat.duckdb from the extracts and metrics.yml
warehouse: $(BIN)/.installed $(DEMO_EXTRACT)
	$(BIN)/citystat run

## cities: build each real city's warehouse (cities/<city>/data/) from ../shared/data/real
cities: $(BIN)/.installed
	for city in cities/*/; do $(BIN)/citystat --city $$city run || exit 1; done

dashboard: $(BIN)/.installed
	$(BIN)/streamlit run dashboard/app.py --server.address localhost --server.port $(PORT) \
		--server.headless true --browser.gatherUsageStats false

## public: the public site for residents, hardened (no developer toolbar, error details or
## usage statistics); set CITYSTAT_ALLOWED_HOSTS to the host names it is served under
PUBLIC_ADDRESS ?= localhost
public: $(BIN)/.installed
	$(BIN)/python -m dashboard.public_site --server.address $(PUBLIC_ADDRESS) --server.port $(PORT)

## browser: Debian's chromium for the Playwright tests (nothing downloaded from a browser vendor)
browser:
	@command -v chromium >/dev/null 2>&1 || { \
		echo "installing Debian's chromium for the browser tests"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

## test: install what tests need, then ruff, the import contracts, mypy and pytest
test: $(BIN)/.installed-test browser lint typecheck pytest

lint: $(BIN)/.installed-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

typecheck: $(BIN)/.installed-test
	$(BIN)/mypy

pytest: $(BIN)/.installed-test
	$(BIN)/python -m pytest

## bench: benchmarks at 1 and 10 million requests against raw DuckDB (not part of make test;
## about an hour on 2 cores); writes bench/RESULTS.md, data under bench/output/
.PHONY: bench
bench: $(BIN)/.installed-test
	$(BIN)/python bench/run.py --sizes 1000000 10000000 --repeats 3

clean:
	rm -rf $(VENV) data/demo data/versions data/*.duckdb data/*.tmp data/*.wal data/*.building \
		data/.citystat.duckdb.lock tests/artifacts cities/*/data
