# gridshed: two commands do everything on a fresh machine with Python 3.11 and make.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
SCENARIO ?= scenarios/kazakhstan_2021_22.yaml
OUT ?= results

.PHONY: run test bench lint format notebooks notebooks-clear clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/gridshed run $(SCENARIO) --out $(OUT)

test: $(STAMP)
	$(BIN)/python -m pytest -q -n 2 -m "not bench"

bench: $(STAMP)
	$(BIN)/python bench/run.py

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

notebooks: $(STAMP)
	$(BIN)/python -m sim.notebooks notebooks/*.ipynb

notebooks-clear: $(STAMP)
	$(BIN)/python -m sim.notebooks --clear notebooks/*.ipynb

clean:
	rm -rf $(VENV) $(OUT) .pytest_cache .ruff_cache
