# spotcheck: `make run` serves the app with demo data; `make test` runs everything on SQLite and PostgreSQL.
SHELL := /bin/bash
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000
RUN_PKGS := fonts-wqy-microhei libharfbuzz-subset0
TEST_PKGS := $(RUN_PKGS) chromium poppler-utils postgresql
export SPOTCHECK_DATABASE_URL ?=
# test workers (pytest-xdist): one per core; `make test PYTEST_WORKERS=0` runs in one process
PYTEST_WORKERS ?= auto

.PHONY: run test bench sysdeps-run sysdeps-test venv node-deps migration lint clean

## run: install what is missing, migrate, load demo data once, serve http://127.0.0.1:5000
run: sysdeps-run venv
	$(BIN)/spotcheck db upgrade
	$(BIN)/spotcheck load-demo --if-empty
	@$(BIN)/spotcheck demo-logins --url http://$(HOST):$(PORT)
	$(BIN)/spotcheck run --host $(HOST) --port $(PORT) --with-threads

## test: install what the tests need, then the whole suite (SQLite + PostgreSQL, Chromium, node)
test: sysdeps-test venv node-deps
	$(BIN)/lint-imports
	$(BIN)/python -m pytest -q -p no:cacheprovider -n $(PYTEST_WORKERS) --dist loadscope $(PYTEST_ARGS)
	cd tests/pwa && node --test

## bench: the benchmarks in tests/bench, each beside its baseline
bench: sysdeps-test venv node-deps
	$(BIN)/python -m tests.bench $(BENCH_ARGS)

sysdeps-run:
	@./.ci/sysdeps $(RUN_PKGS)

sysdeps-test:
	@./.ci/sysdeps $(TEST_PKGS)

venv: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[test]'
	touch $@

node-deps: tests/pwa/node_modules/.installed

tests/pwa/node_modules/.installed: tests/pwa/package.json
	cd tests/pwa && npm install --no-audit --no-fund --loglevel=error
	touch $@

## migration: add a revision for what the models changed (make migration MSG="what changed")
migration: venv
	rm -f /tmp/spotcheck-migration.db
	SPOTCHECK_DATABASE_URL=sqlite:////tmp/spotcheck-migration.db $(BIN)/spotcheck db upgrade
	SPOTCHECK_DATABASE_URL=sqlite:////tmp/spotcheck-migration.db $(BIN)/spotcheck db migrate -m "$(or $(MSG),schema change)"
	rm -f /tmp/spotcheck-migration.db

lint: venv
	$(BIN)/lint-imports

clean:
	rm -rf $(VENV) tests/pwa/node_modules .pytest_cache
