# The two commands of the README, and the steps they share. Each sets itself up.
PYTHON ?= python3
VENV ?= .venv
TORCH ?= torch==2.13.0
BIN := $(VENV)/bin

.PHONY: demo test lint venv system-packages clean

demo: $(VENV)/.installed
	$(BIN)/pathsentry demo

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
