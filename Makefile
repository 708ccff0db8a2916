# Beneficiary-satisfaction study notebooks. `make` alone lists the targets.
.DEFAULT_GOAL := help
SHELL := /bin/bash

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
UV_VERSION := 0.13.8
DATA ?= data/raw
REPORTS ?= reports
JOBS ?=
export UV_COMPILE_BYTECODE := 1
export PYTHONPATH := $(CURDIR)/src

# pyproject.toml's requires-python, checked before anything is installed.
PYTHON_SUPPORTED := 3.11

# The venv is rebuilt from the lock whenever it is missing or older than the lock.
$(VENV)/.installed: requirements.lock pyproject.toml
	@found=$$($(PYTHON) -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null); \
	if [ "$$found" != "$(PYTHON_SUPPORTED)" ]; then \
	  echo "error: this project needs Python $(PYTHON_SUPPORTED) (requires-python in pyproject.toml);" \
	       "'$(PYTHON)' is $${found:-not found}. Install Python $(PYTHON_SUPPORTED) or run: make PYTHON=python$(PYTHON_SUPPORTED) ..." >&2; \
	  exit 2; \
	fi
	@echo ">> creating $(VENV) from requirements.lock (first run only, about a minute)"
	@rm -rf $(VENV)
	@$(PYTHON) -m venv $(VENV)
	@$(VENV)/bin/python -m pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)
	@$(VENV)/bin/uv pip install --quiet --python $(PY) -r requirements.lock
	@$(VENV)/bin/uv pip install --quiet --python $(PY) --no-deps -e .
	@$(PY) -m ipykernel install --sys-prefix --name python3 >/dev/null
	@touch $@

.PHONY: help venv reports pdf bench test test-slow lint lab catalogs strip hooks data lock clean text

help: ## List the targets
	@echo "Usage: make <target>   (first run creates .venv from requirements.lock)"
	@grep -hE '^[a-z][a-zA-Z_-]*:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/' | awk -F'\t' '{printf "  %-10s %s\n", $$1, $$2}'

venv: $(VENV)/.installed ## Create or refresh the virtual environment from the lock file

reports: $(VENV)/.installed ## Build every report of the study in DATA (default data/raw) into REPORTS
	@$(PY) -m analysis build --data $(DATA) --reports $(REPORTS) $(if $(JOBS),--jobs $(JOBS))

pdf: $(VENV)/.installed ## Build every report as in `reports`, and print each to PDF beside its HTML (needs chromium)
	@$(PY) -m analysis build --data $(DATA) --reports $(REPORTS) $(if $(JOBS),--jobs $(JOBS)) --pdf

bench: $(VENV)/.installed ## Time naive CLI vs runner builds of 4 demo agencies (a few minutes)
	@$(PY) benchmarks/bench_build.py

.PHONY: bench-scale
bench-scale: $(VENV)/.installed ## Time validate + prepare (wall, CPU, peak memory) on a simulated 1,000-agency study (about 8 minutes)
	@$(PY) benchmarks/bench_scale.py $(if $(STUDY),--study $(STUDY))

.PHONY: bench-validate
bench-validate: $(VENV)/.installed ## Time validate (wall, CPU, peak memory) on a 1M-row baseline CSV
	@$(PY) benchmarks/bench_validate.py

# axe-core for the browser tests, from the npm lock (skipped, and the tests say so, without npm).
tests/browser/node_modules/.package-lock.json: tests/browser/package-lock.json
	@if command -v npm >/dev/null 2>&1; then npm ci --silent --no-audit --no-fund --prefix tests/browser; else echo ">> npm not found: browser tests will be skipped"; fi

test: $(VENV)/.installed tests/browser/node_modules/.package-lock.json ## Run lint, format check and the test suite
	@$(VENV)/bin/ruff check .
	@$(VENV)/bin/ruff format --check .
	@# Two workers, one test file each at a time (files share their module fixtures):
	@# about 9 minutes serially on the 2-core machine, about 5 this way.
	@$(PY) -m pytest -q -n 2 --dist loadfile

test-slow: $(VENV)/.installed ## Run the slow checks: interval coverage over simulated studies, the print-to-PDF test (about 11 minutes)
	@$(PY) -m pytest -q -s -m slow

lint: $(VENV)/.installed ## Fix lint and formatting in place
	@$(VENV)/bin/ruff check --fix .
	@$(VENV)/bin/ruff format .

# Jupyter refuses to start as root unless told; containers usually run as root.
LAB_ROOT_FLAG := $(if $(filter 0,$(shell id -u 2>/dev/null)),--allow-root)

lab: $(VENV)/.installed ## Open JupyterLab on the project
	@$(if $(LAB_ROOT_FLAG),echo ">> running as root (a container?): starting JupyterLab with --allow-root")
	@$(VENV)/bin/jupyter lab --notebook-dir=$(CURDIR) $(LAB_ROOT_FLAG)

catalogs: $(VENV)/.installed ## Rewrite locale/reports.pot from the English catalog, merge it into every language, check them
	@$(PY) -m analysis.catalogs update

text: $(VENV)/.installed ## Extract the visible text of the built reports in REPORTS into REPORTS/text/*.txt (TEXT_LANG=ar for one language)
	@$(PY) scripts/report_text.py --reports $(REPORTS) $(if $(TEXT_LANG),--lang $(TEXT_LANG))

strip: $(VENV)/.installed ## Strip outputs and execution counts from the notebooks
	@$(VENV)/bin/nbstripout notebooks/*.ipynb

# Opt-in: git then strips notebooks itself on every commit (.gitattributes names the
# filter). Not installed by default: the filter runs on every `git status`, which the build
# calls for the footer's code version, and would slow every build and test.
hooks: $(VENV)/.installed ## Make git strip notebook outputs on commit (nbstripout filter)
	@$(VENV)/bin/nbstripout --install --attributes .gitattributes
	@echo ">> git now strips notebook outputs on commit (undo: $(VENV)/bin/nbstripout --uninstall)"

data: $(VENV)/.installed ## Regenerate the synthetic demo study in data/raw from its seed
	@$(PY) -m analysis simulate --out data/raw

lock: $(VENV)/.installed ## Re-resolve requirements.in into requirements.lock and environment.yml
	@$(VENV)/bin/uv pip compile requirements.in -o requirements.lock --python-version 3.11 --no-header --quiet
	@$(PY) scripts/write_environment_yml.py

clean: ## Remove derived data and reports (keeps the venv and data/raw)
	@rm -rf data/processed $(REPORTS)/* && touch $(REPORTS)/.gitkeep
	@echo "removed data/processed and $(REPORTS)/"
