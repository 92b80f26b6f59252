# OneThing — developer entry points. `make run` serves the platform; `make test` runs every check.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
HOST   ?= 127.0.0.1
PORT   ?= 8000
PG_TEST_URL ?= postgres://postgres@127.0.0.1:5432/test
PG_TEST_DB ?= test_onething
PYTEST_WORKERS ?= 2
# The PostgreSQL pass repeats the suite for backend differences: the browser tests (UI flows,
# database-agnostic, ~minutes of chromium) run once, on SQLite; the fuzzers run on both, with
# fewer examples on PostgreSQL (they are there for type/length/NUL differences of the backend).
PG_MARKS ?= not browser
PG_FUZZ_EXAMPLES ?= 10
# Every CI pass prints its slowest set-ups and calls.
PYTEST_REPORT ?= --durations=30 --durations-min=1
export PYTHONDONTWRITEBYTECODE = 1

.PHONY: setup system-deps run serve migrate demo test test-sqlite test-postgres test-fast fuzz security \
	check lint-imports migrations-check deploy-check coverage-gate lint format bench clean

setup: $(STAMP) system-deps ## prepare .venv with the project and its dev tools

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "需要 Python ≥ 3.11"'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	@touch $(STAMP)

system-deps: ## Debian packages for PDFs, PDF tests and browser tests (installs them as root)
	@sh scripts/system-deps.sh

migrate: setup
	@mkdir -p var
	$(BIN)/onething migrate --noinput

demo: migrate ## load the demo catalog and accounts once
	@if [ ! -f var/.demo-loaded ]; then $(BIN)/onething load-demo && $(BIN)/onething rebuild-search-index && touch var/.demo-loaded; fi

run: demo ## serve on http://$(HOST):$(PORT) with the task consumer
	@echo "一件事平台：http://$(HOST):$(PORT)/  （演示账号见 README）"
	@trap 'kill 0' INT TERM EXIT; \
	  $(BIN)/onething run_huey --quiet & \
	  $(BIN)/onething runserver $(HOST):$(PORT) --noreload

serve: demo ## production-like: gunicorn + task consumer
	@trap 'kill 0' INT TERM EXIT; \
	  $(BIN)/onething run_huey --quiet & \
	  $(BIN)/gunicorn onething.conf.wsgi -b $(HOST):$(PORT) -w 3

check: setup ## static checks: lint, format, architecture contract, migrations, deploy check
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(MAKE) --no-print-directory lint-imports migrations-check deploy-check

lint-imports: setup ## architecture contract (pyproject.toml [tool.importlinter])
	$(BIN)/lint-imports --no-cache

migrations-check: setup ## models and migrations agree (fresh temporary database directory)
	ONETHING_VAR_DIR=$$(mktemp -d) $(BIN)/onething makemigrations --check --dry-run

deploy-check: setup ## Django's deployment checklist under production settings
	ONETHING_VAR_DIR=$$(mktemp -d) ONETHING_ENV=production \
	  ONETHING_SECRET_KEY=check-deploy-$$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n') \
	  ONETHING_ALLOWED_HOSTS=onething.example.gov.cn $(BIN)/onething check --deploy --fail-level WARNING

test-sqlite: setup ## the whole suite on SQLite, random order, parallel, with the coverage gate
	@mkdir -p var
	ONETHING_VAR_DIR=$$(mktemp -d) $(BIN)/pytest -n $(PYTEST_WORKERS) -q -m "not slow and not browser" $(PYTEST_REPORT) \
	  --cov --cov-report=term:skip-covered --cov-report=json:var/coverage.json
	$(MAKE) --no-print-directory coverage-gate
	@# slow suites (fuzzers, crash, browser) without coverage tracing: it slows the CPU-bound fuzzers
	@# by a third and the gate's domain modules are covered by the unit tests
	ONETHING_VAR_DIR=$$(mktemp -d) $(BIN)/pytest -n $(PYTEST_WORKERS) -q -m "slow or browser" $(PYTEST_REPORT)

coverage-gate: ## domain modules ≥ 90 % line coverage (reads var/coverage.json of test-sqlite)
	$(BIN)/python scripts/coverage_gate.py var/coverage.json

test-postgres: setup ## the whole suite against PostgreSQL ($(PG_TEST_URL)), per-worker databases
	@if sh scripts/pg-ready.sh "$(PG_TEST_URL)"; then \
	  ONETHING_VAR_DIR=$$(mktemp -d) DATABASE_URL="$(PG_TEST_URL)" ONETHING_TEST_DB_NAME="$(PG_TEST_DB)" \
	  ONETHING_FUZZ_EXAMPLES=$${ONETHING_FUZZ_EXAMPLES:-$(PG_FUZZ_EXAMPLES)} \
	    $(BIN)/pytest -n $(PYTEST_WORKERS) -q -m "$(PG_MARKS)" $(PYTEST_REPORT); \
	elif [ -n "$$CI" ]; then echo "PostgreSQL 不可用（$(PG_TEST_URL)），CI 中必须运行"; exit 1; \
	else echo "跳过 PostgreSQL 测试：$(PG_TEST_URL) 不可用（设置 PG_TEST_URL 或启动 PostgreSQL）"; fi

test-fast: setup ## quick loop: everything except the slow suites (fuzzers, browser)
	ONETHING_VAR_DIR=$$(mktemp -d) $(BIN)/pytest -n $(PYTEST_WORKERS) -q -m "not slow and not browser"

fuzz: setup ## fuzzers (API, web forms and pages, catalog import) on SQLite, then on PostgreSQL if it is up
	ONETHING_VAR_DIR=$$(mktemp -d) $(BIN)/pytest -n $(PYTEST_WORKERS) -q tests/quality
	@if sh scripts/pg-ready.sh "$(PG_TEST_URL)"; then \
	  ONETHING_VAR_DIR=$$(mktemp -d) DATABASE_URL="$(PG_TEST_URL)" ONETHING_TEST_DB_NAME="$(PG_TEST_DB)_fuzz" \
	  ONETHING_FUZZ_EXAMPLES=$${ONETHING_FUZZ_EXAMPLES:-$(PG_FUZZ_EXAMPLES)} \
	    $(BIN)/pytest -n $(PYTEST_WORKERS) -q tests/quality; \
	else echo "跳过 PostgreSQL 模糊测试：$(PG_TEST_URL) 不可用（NUL、超长值的 500 只在 PostgreSQL 上出现）"; fi

security: setup ## security tests (anonymous refusal, masking, CSP, throttling, production settings)
	ONETHING_VAR_DIR=$$(mktemp -d) $(BIN)/pytest -n $(PYTEST_WORKERS) -q tests/security

test: check test-sqlite test-postgres ## everything CI runs

lint: check

format: setup
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: setup ## every benchmark (slow; PostgreSQL ones use their own bench_* databases); figures go to docs/performance.md
	$(BIN)/python bench/plan_bench.py
	$(BIN)/python bench/guide_pdf_bench.py
	$(BIN)/python bench/search_bench.py
	$(BIN)/python bench/intake_throughput.py --workers 2 --threads 8 --clients 24 --seconds 15
	$(BIN)/python bench/clock_scan.py --clocks 1000000

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache .hypothesis
