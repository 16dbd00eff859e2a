# The commands of the README, and the steps they share. Each sets itself up.
PYTHON ?= python3
VENV ?= .venv
TORCH ?= torch==2.13.0
BIN := $(VENV)/bin

.PHONY: demo demo-model test lint venv system-packages clean

demo: $(VENV)/.installed
	$(BIN)/pathsentry demo

# Re-make the bundled demo model from synthetic slides and evaluate it on held-out ones
# (CPU, about an hour; see "The demo model" in the README).
demo-model: $(VENV)/.installed
	PATHSENTRY=$(BIN)/pathsentry bench/demo_model.sh all

test: $(VENV)/.installed system-packages
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(VENV)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

venv: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet "$(TORCH)"
	$(BIN)/pip install --quiet -e ".[dev,postgres]"
	touch $@

# Orthanc (the PACS in tests), dcmtk (the real sender) and Chromium (dashboard tests).
system-packages:
	@.ci/system-packages

clean:
	rm -rf $(VENV) build *.egg-info
