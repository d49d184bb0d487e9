# gridshed: two commands do everything on a fresh machine with Python 3.11 and make.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
RUN_STAMP := $(VENV)/.installed-run
DEV_STAMP := $(VENV)/.installed-dev
NB_STAMP := $(VENV)/.installed-notebooks
# In a variable: a comma in $(call ...) arguments would split them.
DEV_EXTRAS := .[dev,calibrate,notebooks]
SCENARIO ?= scenarios/kazakhstan_2021_22.yaml
OUT ?= results

.PHONY: run test fuzz bench lint format notebooks notebooks-clear clean

# Installs with uv (parallel, several times faster than pip) when it can be had
# from PyPI, else with pip.
install = if [ -x $(BIN)/uv ]; then $(BIN)/uv pip install --quiet --python $(BIN)/python $(1); \
          else $(BIN)/python -m pip install --quiet $(1); fi

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	-$(BIN)/python -m pip install --quiet uv

# `make run` needs only the runtime dependencies; `make notebooks` the notebooks extra
# (Jupyter Lab, papermill); the other targets the dev, calibrate (pyabc, SALib) and
# notebooks extras, so after `make test` `.venv/bin/jupyter lab` works too.
$(RUN_STAMP): pyproject.toml | $(BIN)/python
	$(call install,-e .)
	touch $@

$(DEV_STAMP): pyproject.toml | $(BIN)/python
	$(call install,-e "$(DEV_EXTRAS)")
	touch $@ $(RUN_STAMP) $(NB_STAMP)

$(NB_STAMP): pyproject.toml | $(BIN)/python
	$(call install,-e ".[notebooks]")
	touch $@ $(RUN_STAMP)

run: $(RUN_STAMP)
	$(BIN)/gridshed run $(SCENARIO) --out $(OUT)

test: $(DEV_STAMP)
	$(BIN)/python -m pytest -q -n 2 -m "not bench and not heavy"

# Heavy fuzzing: 2,000 random mutations of the shipped scenarios (each one that
# validates is also run), and every signal at every moment of a run.
fuzz: $(DEV_STAMP)
	$(BIN)/python -m pytest -q -n 2 -m "heavy or not bench" --hypothesis-profile=fuzz tests/cli/test_fuzz.py tests/cli/test_signals.py

bench: $(DEV_STAMP)
	$(BIN)/python bench/run.py

lint: $(DEV_STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(DEV_STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

notebooks: $(NB_STAMP)
	$(BIN)/python -m tools.run_notebooks notebooks/*.ipynb

notebooks-clear: $(NB_STAMP)
	$(BIN)/python -m tools.run_notebooks --clear notebooks/*.ipynb

clean:
	rm -rf $(VENV) $(OUT) .pytest_cache .ruff_cache
