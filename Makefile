# Two commands on a fresh machine:  `make demo` (install + run the demo)  and  `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STORE ?= demo_store

.PHONY: install demo test test-all lint ui clean

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --progress-bar off -e ".[dev]"
	touch $@

demo: install
	$(BIN)/cardfeatures demo --store $(STORE)

test: install
	$(BIN)/pytest -q -m "not slow"

# Adds the slow end-to-end tests: real `dagster dev` + GraphQL launch, Celery worker, sharded backfill.
test-all: install
	$(BIN)/pytest -q

lint: install
	$(BIN)/ruff check . && $(BIN)/ruff format --check .

ui: install
	DAGSTER_HOME=$(abspath $(STORE))/dagster_home CARDFEATURES_STORE=$(abspath $(STORE)) \
		$(BIN)/dagster dev -m pipelines.definitions -h 127.0.0.1 -p 3000

clean:
	rm -rf $(STORE)
