# optcourse: the two commands that matter are `make book` and `make test`.
# Both create the virtual environment .venv on first use and install everything into it.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
export PATH := $(abspath $(BIN)):$(PATH)
STAMP  := $(VENV)/.installed
JB_FLAGS := -W -n --keep-going

.PHONY: help install book test lint typecheck pytest browser-deps bench lab clean

help:
	@echo "make book   build the HTML book into _build/html (executes every chapter)"
	@echo "make test   lint, type-check, build the book and run every test"
	@echo "make lab    open the notebooks in JupyterLab"
	@echo "make bench  run the speed benchmarks in bench/"
	@echo "OPTCOURSE_SKIP_BROWSER=1 make test   skip the browser test (the summary says so)"

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

# The execution cache only notices notebook edits. When the library or the config changes, the
# chapters' outputs may change too, so the build is started afresh (a clean build takes ~15 s).
LIBRARY_SOURCES := $(shell find optcourse -name '*.py' -o -name '*.js') pyproject.toml _config.yml _toc.yml
BOOK_STAMP := _build/.library-stamp

$(BOOK_STAMP): $(LIBRARY_SOURCES)
	rm -rf _build/.jupyter_cache _build/.doctrees _build/html _build/jupyter_execute
	mkdir -p _build
	touch $@

book: $(STAMP) $(BOOK_STAMP)
	$(BIN)/jupyter-book build . $(JB_FLAGS)

lint: $(STAMP)
	$(BIN)/ruff check optcourse tests bench book notebooks solutions exercises
	$(BIN)/ruff format --check optcourse tests bench book notebooks solutions exercises

typecheck: $(STAMP)
	$(BIN)/mypy

pytest: $(STAMP)
	$(BIN)/python -m pytest tests
	$(BIN)/python -m pytest --nbval-lax -p no:randomly notebooks solutions

# The browser test needs chromium, chromium-driver and npm: installed here when root with apt,
# otherwise named in a one-screen message. OPTCOURSE_SKIP_BROWSER=1 skips the test instead.
browser-deps:
ifeq ($(OPTCOURSE_SKIP_BROWSER),1)
	@echo "OPTCOURSE_SKIP_BROWSER=1: the browser test will be skipped"
else
	@bash .ci/browser-deps
endif

test: lint typecheck browser-deps book pytest

bench: $(STAMP)
	$(BIN)/python bench/run.py

LAB_STAMP := $(VENV)/.lab-installed

$(LAB_STAMP): $(STAMP)
	$(BIN)/python -m pip install --quiet -e ".[lab]"
	touch $@

# JupyterLab refuses to start as root unless told; containers and CI machines often run as root.
lab: $(LAB_STAMP)
	$(BIN)/jupyter lab $(if $(filter 0,$(shell id -u)),--allow-root) notebooks

clean:
	rm -rf _build
