# optcourse: the two commands that matter are `make book` and `make test`.
# Both create the virtual environment .venv on first use and install everything into it.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
export PATH := $(abspath $(BIN)):$(PATH)
STAMP  := $(VENV)/.installed
JB_FLAGS := -W -n --keep-going

.PHONY: help install npm-assets book test test-oldest lint typecheck pytest browser-deps bench verify lab clean

help:
	@echo "make book   build the HTML book into _build/html (executes every chapter)"
	@echo "make test   lint, type-check, build the book and run every test"
	@echo "make lab    open the notebooks in JupyterLab"
	@echo "make bench  run the speed benchmarks in bench/"
	@echo "make verify fit linear regression by GD/SGD/mini-batch and check it against the closed form"
	@echo "make test-oldest   the library's tests on the oldest supported Python, numpy, matplotlib"
	@echo "OPTCOURSE_SKIP_BROWSER=1 make test   skip the browser test (the summary says so)"

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

# The execution cache only notices notebook edits. When the library or the config changes, the
# chapters' outputs may change too, so the build is started afresh (a clean build takes ~15 s).
LIBRARY_SOURCES := $(shell find optcourse book/_ext -name '*.py' -o -name '*.js') pyproject.toml \
	_config.yml _toc.yml
BOOK_STAMP := _build/.library-stamp

$(BOOK_STAMP): $(LIBRARY_SOURCES)
	rm -rf _build/.jupyter_cache _build/.doctrees _build/html _build/jupyter_execute
	mkdir -p _build
	touch $@

# The site loads MathJax 3, require.js and the ipywidgets HTML manager from its own _static/vendor
# (no CDN): they come from npm, installed into .cache/npm (outside git) and copied into the site by
# book/_ext/optcourse_site.py. axe-core is for the browser test's accessibility check.
NPM_DIR := .cache/npm
NPM_PACKAGES := mathjax@^3.2.2 requirejs@^2.3.6 @jupyter-widgets/html-manager@^1.0.6 axe-core@^4.8
NPM_STAMP := $(NPM_DIR)/node_modules/.optcourse-installed-$(shell echo '$(NPM_PACKAGES)' | cksum | cut -d' ' -f1)

$(NPM_STAMP):
	@bash .ci/system-deps npm
	mkdir -p $(NPM_DIR)
	npm install --prefix $(NPM_DIR) --no-audit --no-fund --loglevel=error $(NPM_PACKAGES)
	touch $@

npm-assets: $(NPM_STAMP)

# book/execute_notebooks.py first runs the chapters the execution cache lacks, in parallel (one
# worker per CPU); the build then finds them cached. A chapter that fails there is run again by the
# build, which reports the error.
book: $(STAMP) $(NPM_STAMP) $(BOOK_STAMP)
	$(BIN)/python book/execute_notebooks.py
	$(BIN)/jupyter-book build . $(JB_FLAGS)

lint: $(STAMP)
	$(BIN)/ruff check optcourse tests bench scripts book notebooks solutions exercises
	$(BIN)/ruff format --check optcourse tests bench scripts book notebooks solutions exercises

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
	@bash .ci/system-deps browser
endif

test: lint typecheck browser-deps book pytest

# The declared lower bounds (requires-python, numpy, matplotlib), tested once: .ci/run calls it.
test-oldest:
	bash .ci/test-oldest

bench: $(STAMP)
	$(BIN)/python bench/run.py

# Linear regression by GD, SGD and mini-batch SGD against the normal equations (chapter 6); exits
# non-zero if a method misses the tolerance it can reach or stops the wrong way. CI runs it.
verify: $(STAMP)
	$(BIN)/python scripts/verify_linear_regression.py

LAB_STAMP := $(VENV)/.lab-installed

$(LAB_STAMP): $(STAMP)
	$(BIN)/python -m pip install --quiet -e ".[lab]"
	touch $@

# JupyterLab refuses to start as root unless told; containers and CI machines often run as root.
lab: $(LAB_STAMP)
	$(BIN)/jupyter lab $(if $(filter 0,$(shell id -u)),--allow-root) notebooks

clean:
	rm -rf _build
