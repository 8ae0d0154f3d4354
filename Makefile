# Bastion: `make serve` and `make test` do all the set-up on a fresh machine.
# The interpreter .venv is made with (CPython 3.11+; `make PYTHON=/path/to/python3.x ...`
# for another). The system's /usr/bin/python3.11 where there is one: a distribution build
# (Debian's is compiled with PGO and LTO, libpython linked into the executable). pyenv's
# default build is neither (a shared libpython, no --enable-optimizations), and on it the
# server spent 14-24% more CPU per Check, the bare echo 10-19% more (bench/RESULTS.md,
# 2026-12-06, sixth VM). An existing .venv is kept: `make clean` first to switch.
PYTHON ?= $(firstword $(wildcard /usr/bin/python3.11) python3.11)
VENV := .venv
PY := $(VENV)/bin/python
BASTION := $(VENV)/bin/bastion
STAMP := $(VENV)/.installed
PROTOS := $(wildcard proto/bastion/v1/*.proto)
BASTION_DATABASE_URL ?= sqlite:///./bastion.db
export BASTION_DATABASE_URL

.PHONY: venv install gen migrate serve test test-sqlite test-postgres lint lint-proto bench clean

$(PY):
	$(PYTHON) -m venv $(VENV)

EXAMPLE_STAMP := $(VENV)/.installed-example

$(STAMP): $(PY) pyproject.toml plugins/deliberation/_tokens.c
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

# The example plugin is installed for the tests only (they load it through its entry point).
# Once installed, `bastion serve` loads it too; BASTION_PLUGINS=-blocklist turns it off.
$(EXAMPLE_STAMP): $(STAMP) examples/blocklist-guard/pyproject.toml
	$(PY) -m pip install --quiet -e examples/blocklist-guard
	touch $(EXAMPLE_STAMP)

install: $(STAMP)

venv: install

# Regenerates the committed gRPC code from proto/ (tests/test_generated_code.py fails when stale).
gen: $(STAMP)
	$(PY) -m bastion.runtime.codegen

migrate: install
	$(BASTION) migrate

serve: migrate
	$(BASTION) serve

# Runs the whole suite on SQLite and on PostgreSQL (127.0.0.1:5432); fails if PostgreSQL is
# unreachable. Then the example plugin's own tests, on both databases.
test: install $(EXAMPLE_STAMP)
	$(PY) -m pytest -q $(PYTEST_ARGS) tests
	$(PY) -m pytest -q examples/blocklist-guard/tests
	BASTION_TEST_DATABASE=postgresql $(PY) -m pytest -q examples/blocklist-guard/tests

lint: install
	$(PY) -m ruff check runtime plugins storage clients tests bench examples

lint-proto:
	cd proto && npx --yes @bufbuild/buf@1.75.0 lint

bench: install
	$(PY) bench/check_throughput.py

clean:
	rm -rf $(VENV) build *.egg-info bastion.db bastion.db-wal bastion.db-shm
