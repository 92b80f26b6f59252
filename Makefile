# OneThing — developer entry points. `make run` serves the platform; `make test` runs every check.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
HOST   ?= 127.0.0.1
PORT   ?= 8000
PG_TEST_URL ?= postgres://postgres@127.0.0.1:5432/test
export PYTHONDONTWRITEBYTECODE = 1

.PHONY: setup system-deps run serve migrate demo test test-sqlite test-postgres check lint format bench clean

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
	$(BIN)/lint-imports
	ONETHING_VAR_DIR=$$(mktemp -d) $(BIN)/onething makemigrations --check --dry-run
	ONETHING_ENV=production ONETHING_SECRET_KEY=check-deploy-$$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n') \
	  ONETHING_ALLOWED_HOSTS=onething.example.gov.cn $(BIN)/onething check --deploy --fail-level WARNING

test-sqlite: setup
	ONETHING_VAR_DIR=$$(mktemp -d) $(BIN)/pytest -n 2 --cov --cov-report=term:skip-covered --cov-report=json:var/coverage.json
	$(BIN)/python scripts/coverage_gate.py var/coverage.json

test-postgres: setup ## the whole suite against PostgreSQL ($(PG_TEST_URL))
	@if sh scripts/pg-ready.sh "$(PG_TEST_URL)"; then \
	  ONETHING_VAR_DIR=$$(mktemp -d) DATABASE_URL="$(PG_TEST_URL)" $(BIN)/pytest -n 2 -q; \
	elif [ -n "$$CI" ]; then echo "PostgreSQL 不可用（$(PG_TEST_URL)），CI 中必须运行"; exit 1; \
	else echo "跳过 PostgreSQL 测试：$(PG_TEST_URL) 不可用（设置 PG_TEST_URL 或启动 PostgreSQL）"; fi

test: check test-sqlite test-postgres ## everything CI runs

lint: check

format: setup
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: setup ## benchmarks (results go to docs/performance.md by hand)
	$(BIN)/python bench/run_all.py

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache .hypothesis
