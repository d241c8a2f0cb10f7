# kycgraph developer commands. The README quick start uses `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
OUT ?= out/sample

.PHONY: setup demo test lint typecheck neo4j-start neo4j-stop clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Reinstall only when the package metadata changes.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

setup: $(VENV)/.installed

## Set up, then run the main job on the bundled sample export.
demo: setup
	$(BIN)/kycgraph run sample --out $(OUT)

lint: setup
	$(BIN)/ruff check .

typecheck: setup
	$(BIN)/mypy

neo4j-start:
	server/neo4jctl start

neo4j-stop:
	server/neo4jctl stop

## Set up, start a local Neo4j (unless NEO4J_URI points at one), run lint, types and every test.
test: setup
	bash .ci/test.sh

clean:
	rm -rf $(VENV) out .pytest_cache .mypy_cache .ruff_cache
