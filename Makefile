# cnnbook: the two commands of the README's quickstart, and the chores behind them.
#   make lab    open the book in JupyterLab (creates .venv on first use)
#   make test   run every test, notebooks included (creates or refreshes .venv)

PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
MIN_PYTHON := 3.10
# Re-install whenever the list of dependencies changes.
STAMP  := $(VENV)/.cnnbook-installed
# Notebooks graded at a time by `make grade`.
JOBS ?= $(shell nproc 2>/dev/null || echo 1)
# Extra options for `cnnbook lab`, e.g. make lab LAB_ARGS="--no-browser --port 9000"
LAB_ARGS ?=
# Where committed notebooks live, and what nbstripout removes from them beyond its defaults (outputs,
# execution counts, widget state, ...); --keep-id: the cell ids are the zh edition's keys.
NOTEBOOK_DIRS ?= chapters solutions exercises zh
# NBSTRIPOUT_MODE=--verify: change nothing, fail if anything would be stripped (a test does this).
NBSTRIPOUT_MODE ?=
NBSTRIPOUT_FLAGS := --keep-id --extra-keys "metadata.execution metadata.varInspector metadata.toc cell.metadata.varInspector cell.metadata.toc"

.DEFAULT_GOAL := help
.PHONY: help lab test book vendor-js venv check-python strip-outputs exercises grade clean

help:
	@echo "make lab            open the book in JupyterLab"
	@echo "make test           run every test (unit, checkers, notebooks)"
	@echo "make book           build the static HTML book into _build/html (needs npm)"
	@echo "make exercises      regenerate exercises/ from solutions/"
	@echo "make grade DIR=...  grade every submitted notebook in a folder"
	@echo "make strip-outputs  remove outputs from every committed notebook"
	@echo "make clean          remove .venv and build products"

check-python:
	@$(PYTHON) tools/require_python.py $(MIN_PYTHON) || { \
	  echo "error: cnnbook needs Python $(MIN_PYTHON) or newer; '$(PYTHON)' is $$($(PYTHON) -c 'import sys; print(sys.version.split()[0])' 2>/dev/null || echo 'not runnable')." >&2; \
	  echo "       Install a newer Python and run: make PYTHON=python3.11 $(MAKECMDGOALS)" >&2; exit 1; }

$(PY): | check-python
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e ".[course,test]"
	$(PY) -m cnnbook warm
	@touch $@

venv: check-python $(STAMP)

lab: venv
	$(PY) -m cnnbook lab $(LAB_ARGS)

test: venv
	$(PY) -m pytest

strip-outputs: venv
	$(VENV)/bin/nbstripout $(NBSTRIPOUT_FLAGS) $(NBSTRIPOUT_MODE) $$(find $(NOTEBOOK_DIRS) -name '*.ipynb' -not -path '*/.ipynb_checkpoints/*')

book: venv vendor-js
	$(VENV)/bin/jupyter-book build . --warningiserror --nitpick --keep-going
	@echo "open _build/html/index.html"

# The JavaScript the web book serves itself (widget manager, RequireJS, MathJax), so it needs no CDN:
# npm ci from package-lock.json into node_modules/, then the files the pages load into _vendor/.
vendor-js: check-python
	$(PYTHON) tools/vendor_js.py

exercises: venv
	$(PY) -m cnnbook exercises

grade: venv
	@test -n "$(DIR)" || { echo "usage: make grade DIR=path/to/submissions" >&2; exit 2; }
	$(PY) -m cnnbook grade "$(DIR)" --jobs $(JOBS) --json grades.json --csv grades.csv --roster roster.csv --feedback feedback

clean:
	rm -rf $(VENV) _build .pytest_cache node_modules _vendor
