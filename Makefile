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
# The suite's shape (docs/development.md, "How the suite is shaped"): the whole suite runs once,
# on PostgreSQL (production), with the coverage gate; the SQLite pass runs only what takes a
# backend-specific path (marked `sqlite` in the root conftest.py) and the embedded mode itself
# (`embedded`). Without PostgreSQL outside CI the whole suite runs on SQLite instead.
SQLITE_MARKS ?= sqlite or embedded
# Fuzzers: a fixed, derandomised number of examples per pass; `make fuzz` runs them deep.
CI_FUZZ_EXAMPLES ?= 10
SQLITE_FUZZ_EXAMPLES ?= 25
DEEP_FUZZ_EXAMPLES ?= 200
# Every CI pass prints its slowest set-ups and calls.
PYTEST_REPORT ?= --durations=30 --durations-min=1
export PYTHONDONTWRITEBYTECODE = 1

.PHONY: setup system-deps run dev serve migrate demo test test-sqlite test-sqlite-all test-postgres _test-postgres test-fast fuzz security \
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

# The public URL (QR codes, verification links, e-mail links) follows the address served,
# unless ONETHING_PUBLIC_URL says otherwise (a proxy, a domain).
SERVE_ENV = ONETHING_PUBLIC_URL=$${ONETHING_PUBLIC_URL:-http://$(HOST):$(PORT)}

run: demo ## serve on http://$(HOST):$(PORT) as users see it (DEBUG off, Chinese error pages), with the task consumer and the simulated department system (:8101)
	@echo "一件事平台：http://$(HOST):$(PORT)/  （演示账号见 README）"
	@trap 'kill 0' INT TERM EXIT; export $(SERVE_ENV) DJANGO_DEBUG=0; \
	  $(BIN)/onething run_huey --quiet & \
	  $(BIN)/onething department-service --port 8101 & \
	  $(BIN)/onething runserver $(HOST):$(PORT) --noreload

dev: demo ## developer mode: DEBUG on (debug pages), auto-reload, with the task consumer and the simulated department system (:8101)
	@echo "开发模式（DEBUG）：http://$(HOST):$(PORT)/"
	@trap 'kill 0' INT TERM EXIT; export $(SERVE_ENV) DJANGO_DEBUG=1; \
	  $(BIN)/onething run_huey --quiet & \
	  $(BIN)/onething department-service --port 8101 & \
	  $(BIN)/onething runserver $(HOST):$(PORT)

serve: demo ## production-like: gunicorn + task consumer, static files collected and served by WhiteNoise
	$(BIN)/onething collectstatic --noinput --verbosity 0
	@trap 'kill 0' INT TERM EXIT; export $(SERVE_ENV) DJANGO_DEBUG=0; \
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

# One pass: $(1) = marks of the fast part (traced for coverage), $(2) = marks of the slow part.
define suite
	ONETHING_VAR_DIR=$$(mktemp -d) $(BIN)/pytest -n $(PYTEST_WORKERS) -q -m "($(1)) and not slow and not browser" \
	  $(PYTEST_REPORT) --cov --cov-report=term:skip-covered --cov-report=json:var/coverage.json
	$(MAKE) --no-print-directory coverage-gate
	@# slow suites (fuzzers, crash, browser) without coverage tracing: it slows the CPU-bound fuzzers
	@# by a third and the gate's domain modules are covered by the unit and integration tests
	ONETHING_VAR_DIR=$$(mktemp -d) $(BIN)/pytest -n $(PYTEST_WORKERS) -q -m "($(2)) and (slow or browser)" $(PYTEST_REPORT)
endef

test-postgres: setup ## the whole suite on PostgreSQL ($(PG_TEST_URL)), per-worker databases, coverage gate
	@mkdir -p var
	@if sh scripts/pg-ready.sh "$(PG_TEST_URL)"; then \
	  $(MAKE) --no-print-directory _test-postgres; \
	elif [ -n "$$CI" ]; then echo "PostgreSQL 不可用（$(PG_TEST_URL)），CI 中必须运行"; exit 1; \
	else echo "PostgreSQL 不可用（$(PG_TEST_URL)）：整套测试改在 SQLite 上运行"; $(MAKE) --no-print-directory test-sqlite-all; fi

_test-postgres: export DATABASE_URL = $(PG_TEST_URL)
_test-postgres: export ONETHING_TEST_DB_NAME = $(PG_TEST_DB)
_test-postgres: export ONETHING_FUZZ_EXAMPLES ?= $(CI_FUZZ_EXAMPLES)
_test-postgres:
	$(call suite,not embedded,not embedded)

test-sqlite: setup ## SQLite pass: the backend-sensitive tests and the embedded mode
	@mkdir -p var
	ONETHING_VAR_DIR=$$(mktemp -d) ONETHING_FUZZ_EXAMPLES=$${ONETHING_FUZZ_EXAMPLES:-$(SQLITE_FUZZ_EXAMPLES)} \
	  $(BIN)/pytest -n $(PYTEST_WORKERS) -q -m "$(SQLITE_MARKS)" $(PYTEST_REPORT)

test-sqlite-all: setup ## the whole suite on SQLite, with the coverage gate (no PostgreSQL at hand)
	@mkdir -p var
	$(call suite,not postgres,not postgres)

coverage-gate: ## domain modules ≥ 90 % line coverage (reads var/coverage.json of the whole-suite pass)
	$(BIN)/python scripts/coverage_gate.py var/coverage.json

test-fast: setup ## quick loop: everything except the slow suites (fuzzers, browser)
	ONETHING_VAR_DIR=$$(mktemp -d) $(BIN)/pytest -n $(PYTEST_WORKERS) -q -m "not slow and not browser"

fuzz: setup ## deep fuzzing (API, web forms and pages, catalog import) on SQLite, then on PostgreSQL if it is up
	ONETHING_VAR_DIR=$$(mktemp -d) ONETHING_FUZZ_EXAMPLES=$${ONETHING_FUZZ_EXAMPLES:-$(DEEP_FUZZ_EXAMPLES)} \
	  $(BIN)/pytest -n $(PYTEST_WORKERS) -q tests/quality
	@if sh scripts/pg-ready.sh "$(PG_TEST_URL)"; then \
	  ONETHING_VAR_DIR=$$(mktemp -d) DATABASE_URL="$(PG_TEST_URL)" ONETHING_TEST_DB_NAME="$(PG_TEST_DB)_fuzz" \
	  ONETHING_FUZZ_EXAMPLES=$${ONETHING_FUZZ_EXAMPLES:-$(DEEP_FUZZ_EXAMPLES)} \
	    $(BIN)/pytest -n $(PYTEST_WORKERS) -q tests/quality; \
	else echo "跳过 PostgreSQL 模糊测试：$(PG_TEST_URL) 不可用（NUL、超长值的 500 只在 PostgreSQL 上出现）"; fi

security: setup ## security tests (anonymous refusal, masking, CSP, throttling, production settings)
	ONETHING_VAR_DIR=$$(mktemp -d) $(BIN)/pytest -n $(PYTEST_WORKERS) -q tests/security

test: check test-postgres test-sqlite ## everything CI runs

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
	$(BIN)/python bench/hall_queue.py
	DATABASE_URL=$(PG_TEST_URL) $(BIN)/python bench/ratings.py

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache .hypothesis
