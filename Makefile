# One task runner: people and CI use the same targets.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
DEMO_EXTRACT := data/demo/philadelphia_311/public_cases_fc.csv
WAREHOUSE := data/citystat.duckdb
PORT ?= 8501

.PHONY: demo test lint typecheck pytest dashboard demo-dashboard public warehouse clean browser pdf-libs cities spark-runtime

## demo: create .venv, install, build the demo warehouse, start the dashboard on localhost with
## sign-in through a local test identity provider (demo only)
demo: $(BIN)/.installed warehouse demo-dashboard

$(BIN)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[demo]'
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

## dashboard: the internal dashboard, signing people in as the city's roles.yml and
## .streamlit/secrets.toml say (README, "Security"); on localhost unless DASHBOARD_ADDRESS says,
## answering only the host names in CITYSTAT_ALLOWED_HOSTS when it is set
DASHBOARD_ADDRESS ?= localhost
comma := ,
ALLOWED_HOSTS_ARGS = $(foreach host,$(subst $(comma), ,$(CITYSTAT_ALLOWED_HOSTS)),--server.allowedHosts $(host))
dashboard: $(BIN)/.installed
	$(BIN)/streamlit run dashboard/app.py --server.address $(DASHBOARD_ADDRESS) --server.port $(PORT) \
		--server.headless true --browser.gatherUsageStats false $(ALLOWED_HOSTS_ARGS)

## demo-dashboard: the dashboard with the demo's sign-in: oidc-provider-mock on 127.0.0.1:9400
## (SIGNIN_PORT) with the demo users, and data/demo-signin/secrets.toml written for it
SIGNIN_PORT ?= 9400
demo-dashboard: $(BIN)/.installed
	CITYSTAT_DEMO_SIGNIN_PORT=$(SIGNIN_PORT) $(BIN)/python -m dashboard.demo_site \
		--server.address localhost --server.port $(PORT)

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

## pdf-libs: Pango from Debian, which WeasyPrint needs to print the meeting packet as PDF
pdf-libs:
	@ldconfig -p | grep -q libpangoft2-1.0 || { \
		echo "installing Debian's Pango for the packet's PDF export"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
			libpango-1.0-0 libpangoft2-1.0-0 >/dev/null; }

## spark-runtime: a Java runtime for the Spark engine (Debian's OpenJDK 17; pyspark comes with
## the test extra, or `pip install 'citystat[spark]'`)
spark-runtime:
	@command -v java >/dev/null 2>&1 || { \
		echo "installing Debian's OpenJDK 17 for the Spark engine"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
			openjdk-17-jre-headless >/dev/null; }

## test: install what tests need, then ruff, the import contracts, mypy and pytest
test: $(BIN)/.installed-test browser pdf-libs spark-runtime lint typecheck pytest

lint: $(BIN)/.installed-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

typecheck: $(BIN)/.installed-test
	$(BIN)/mypy

## pytest: the tests on every core, up to four workers, each test file whole on one of them
## (its module fixtures built once); PYTEST_WORKERS=0 runs them all in one process
PYTEST_WORKERS ?= auto
pytest: $(BIN)/.installed-test
	$(BIN)/python -m pytest -n $(PYTEST_WORKERS) --maxprocesses 4 --dist loadfile --no-loadscope-reorder

## bench: benchmarks at 1 and 10 million requests against raw DuckDB, then 365 simulated daily
## runs at 10M (not part of make test; about an hour on 2 cores, plus the year: 365 runs of
## several seconds each at 10M); writes bench/RESULTS.md, data under bench/output/
.PHONY: bench
bench: $(BIN)/.installed-test browser
	$(BIN)/python bench/run.py --sizes 1000000 10000000 --repeats 3 --once-sizes 30000000 --days 365

clean:
	rm -rf $(VENV) data/demo data/versions data/*.duckdb data/*.tmp data/*.wal data/*.building \
		data/.citystat.duckdb.lock data/demo-signin tests/artifacts cities/*/data
