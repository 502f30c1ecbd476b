# A comparative study of multivector foreign policy in Central Asia: build targets.
# Every target sets up .venv from requirements.lock first (only when the lock changed).
.DEFAULT_GOAL := help
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-lock
REF ?= HEAD
SCHEDULER ?=
TEST_WORKERS ?= auto
export PIP_DISABLE_PIP_VERSION_CHECK = 1
RB = $(BIN)/python -m reprobook $(if $(SCHEDULER),--scheduler $(SCHEDULER),)

.PHONY: help book serve test test-fast verify diff pdf bench bench-tests status validate lock clean setup package certify

help: ## show this help
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  make %-12s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

UV_PIN = $(shell grep -m1 -o '^uv==[^ ]*' requirements.lock)

# The lock is installed with uv (fast, parallel; uv itself comes from the package index at the
# version the lock pins, fetched with the system's pip, and makes the venv too), or with plain pip
# when uv cannot be had. The engine (engine/) and the study (src/) are installed from their paths in
# a second step: a hashed lock holds no paths.
UV_BOOT := _build/uv-bootstrap
$(STAMP): requirements.lock pyproject.toml engine/pyproject.toml
	@if { test -x $(BIN)/uv || { $(PYTHON) -m pip install --quiet --disable-pip-version-check --target $(UV_BOOT) "$(UV_PIN)" \
	      && { test -x $(BIN)/python || $(UV_BOOT)/bin/uv venv --quiet --python $(PYTHON) $(VENV); }; }; } 2>/dev/null \
	    && test -x $(BIN)/python \
	    && $$(test -x $(BIN)/uv && echo $(BIN)/uv || echo $(UV_BOOT)/bin/uv) pip sync --quiet --compile-bytecode --python $(BIN)/python requirements.lock; then \
	  $(BIN)/uv pip install --quiet --python $(BIN)/python --no-deps --no-build-isolation -e engine -e .; \
	else \
	  echo "uv unavailable: installing with pip"; \
	  test -x $(BIN)/pip || $(PYTHON) -m venv $(VENV); \
	  $(BIN)/pip install --quiet --require-hashes -r requirements.lock && \
	  $(BIN)/pip install --quiet --no-deps --no-build-isolation -e engine -e .; \
	fi
	@rm -rf $(UV_BOOT)
	@$(BIN)/python -m compileall -q engine/src src >/dev/null  # the no-op build starts from bytecode
	@touch $@

setup: $(STAMP) ## create .venv and install the locked dependencies

book: $(STAMP) ## run stale notebooks, update results/, build the HTML book into _build/html/
	@$(BIN)/python -m reprobook build $(if $(SCHEDULER),--scheduler $(SCHEDULER),)

serve: $(STAMP) ## author's watch mode: rebuild what a save makes stale, serve the book at PORT (8000), reload the page
	@$(BIN)/python -m reprobook serve --port $(or $(PORT),8000)

status: $(STAMP) ## dry run: which jobs are stale and why
	@$(BIN)/python -m reprobook status

validate: $(STAMP) ## check data/ against its schemas
	@$(BIN)/python -m reprobook validate

test: $(STAMP) ## run the whole test suite, on every core (what CI and the README run)
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadgroup

test-fast: $(STAMP) ## the in-process tests only (no notebook execution, no book build): the edit loop
	$(BIN)/python -m pytest -m "not slow" -n $(TEST_WORKERS) --dist loadgroup -q

verify: $(STAMP) ## re-execute every notebook in a clean room and compare with results/manifest.json
	@$(BIN)/python -m reprobook verify $(if $(SCHEDULER),--scheduler $(SCHEDULER),)

package: $(STAMP) ## write the replication package _build/package/<name>-<version>.zip (byte-reproducible)
	@$(BIN)/python -m reprobook package

# In an unpacked package: the files are checked against SHA256SUMS with the system's Python before
# anything is installed or run; then .venv is set up from the lock and everything re-executed.
certify: ## (in an unpacked package) check SHA256SUMS, set up .venv, re-execute all, write _build/certificate/
	@PYTHONPATH=engine/src $(PYTHON) -m reprobook certify --check-only
	@$(MAKE) --no-print-directory setup
	@$(BIN)/python -m reprobook certify $(if $(SCHEDULER),--scheduler $(SCHEDULER),)

diff: $(STAMP) ## impact report since REF (default HEAD): data rows, moved results, sentences, figures, claims
	@$(BIN)/python -m reprobook diff $(REF)

pdf: $(STAMP) ## build the PDF book into _build/pdf/book.pdf
	@$(BIN)/python -m reprobook pdf

bench: $(STAMP) ## the performance table, side by side with papermill + jupyter-book: _build/bench/report.md
	@$(BIN)/python bench/run.py

bench-tests: $(STAMP) ## add make test and make test-fast to the benchmark report (as long as make test)
	@$(BIN)/python bench/run.py --parts tests

lock: $(STAMP) ## re-resolve requirements.in into requirements.lock with hashes (needs the package index)
	$(BIN)/uv pip compile requirements.in -o requirements.lock --generate-hashes --python-version 3.11 --quiet

clean: ## remove _build/ (executed notebooks, cache, book); keeps results/ and .venv
	rm -rf _build
