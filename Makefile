# `make run` serves the console with a worker; `make test` runs the whole suite.
# Both create the virtual environment on first use and reinstall when pyproject.toml changes.

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
PORT ?= 8000

.PHONY: run test lint bench migrations-check clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

run: export DEBUG ?= 1
run: $(STAMP)
	$(PY) manage.py migrate --noinput
	$(PY) manage.py load_demo
	$(PY) manage.py runconsole --port $(PORT)

test: $(STAMP)
	$(PY) -m pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	DEBUG=1 $(PY) -m mypy .
	$(VENV)/bin/lint-imports  # the layer contracts in pyproject.toml (docs/architecture.md)

migrations-check: $(STAMP)
	DEBUG=1 $(PY) manage.py makemigrations --check --dry-run

bench: $(STAMP)
	$(PY) bench/pages.py
	-pg_isready -q -h 127.0.0.1 && $(PY) bench/pages.py --postgres postgres://postgres@127.0.0.1:5432/eac_bench_pages
	$(PY) bench/validation.py
	EAC_BENCH_RTT_MS=50 $(PY) bench/validation.py
	-redis-cli -h 127.0.0.1 ping > /dev/null && $(PY) bench/cli.py
	$(PY) bench/training.py
	$(PY) bench/class_load.py
	$(PY) bench/routing.py
	$(PY) bench/front_door.py

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache .hypothesis .import_linter_cache
