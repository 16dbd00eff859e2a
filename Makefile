# The commands of the README, and the steps they share. Each sets itself up.
PYTHON ?= python3
VENV ?= .venv
TORCH ?= torch==2.13.0
BIN := $(VENV)/bin
# The case page's slide viewer (npm packages pinned by the lockfile; served by PathSentry).
VIEWER := plugin/web/viewer
VIEWER_INSTALLED := $(VIEWER)/node_modules/.package-lock.json

.PHONY: demo demo-model test lint venv viewer system-packages clean

demo: $(VENV)/.installed $(VIEWER_INSTALLED)
	$(BIN)/pathsentry demo

# Re-make the bundled demo model from synthetic slides and evaluate it on held-out ones
# (CPU, about an hour; see "The demo model" in the README).
demo-model: $(VENV)/.installed
	PATHSENTRY=$(BIN)/pathsentry bench/demo_model.sh all

test: $(VENV)/.installed $(VIEWER_INSTALLED) system-packages
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(VENV)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/hadolint Dockerfile

venv: $(VENV)/.installed $(VIEWER_INSTALLED)

viewer: $(VIEWER_INSTALLED)

# npm ci installs exactly the lockfile's versions (no install scripts, nothing at run time).
# Without npm the case page shows thumbnails only and says why.
$(VIEWER_INSTALLED): $(VIEWER)/package-lock.json
	@if command -v npm >/dev/null; then \
	  npm ci --prefix $(VIEWER) --ignore-scripts --no-audit --no-fund; \
	else echo "npm is not installed: the case page will show thumbnails only" >&2; fi

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet "$(TORCH)"
	$(BIN)/pip install --quiet -e ".[dev,postgres]"
	touch $@

# Orthanc (the PACS in tests), dcmtk (the real sender) and Chromium (dashboard tests).
system-packages:
	@.ci/system-packages

clean:
	rm -rf $(VENV) build *.egg-info $(VIEWER)/node_modules
