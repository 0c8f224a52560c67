# Quick start (fresh clone, Python 3.11):
#   make run    # bootstrap .venv from requirements.lock, then the Streamlit app on http://127.0.0.1:8501
#   make test   # bootstrap .venv from requirements-dev.lock, then ruff, mypy and pytest
#
# The venv is created if missing, and re-synced from its lock when the lock or
# pyproject.toml is newer than the stamp file the last bootstrap left inside the
# venv (.stamp-run / .stamp-dev). Use another venv with `make test VENV=/tmp/v`.

VENV ?= .venv
PYTHON ?= python3
PY := $(VENV)/bin/python
PIP := $(PY) -m pip --disable-pip-version-check

RUN_STAMP := $(VENV)/.stamp-run
DEV_STAMP := $(VENV)/.stamp-dev

# Locks for Linux x86_64 (manylinux_2_28), CPython 3.11, with hashes, wheels only.
UV_COMPILE := uv pip compile pyproject.toml --python-version 3.11 \
	--python-platform x86_64-manylinux_2_28 --generate-hashes --only-binary :all: \
	--custom-compile-command "make lock"

.DEFAULT_GOAL := help
.PHONY: help run test lint pytest bench lock clean distclean

help:
	@echo "make run    - bootstrap $(VENV) from requirements.lock and start the app"
	@echo "make test   - bootstrap $(VENV) from requirements-dev.lock; ruff, mypy, pytest"
	@echo "make lint   - ruff check + mypy only"
	@echo "make bench  - python benchmarks/run.py"
	@echo "make lock   - regenerate requirements.lock and requirements-dev.lock with uv"
	@echo "make clean  - remove caches, build output and results/"
	@echo "make distclean - clean, and remove $(VENV) too"

$(PY):
	$(PYTHON) -m venv $(VENV)

$(RUN_STAMP): requirements.lock pyproject.toml | $(PY)
	$(PIP) install --require-hashes -r requirements.lock
	$(PIP) install -e . --no-deps
	touch $@

$(DEV_STAMP): requirements-dev.lock pyproject.toml | $(PY)
	$(PIP) install --require-hashes -r requirements-dev.lock
	$(PIP) install -e . --no-deps
	touch $@

run: $(RUN_STAMP)
	$(PY) -m streamlit run app.py

lint: $(DEV_STAMP)
	$(PY) -m ruff check .
	$(PY) -m mypy posture

# pytest exits 5 when it collected no tests. Any non-zero status already fails
# make, but we say so plainly: "no tests" must never pass CI (.ci/run relies on
# this, it only calls `make test`).
pytest: $(DEV_STAMP)
	@$(PY) -m pytest $(PYTEST_ARGS); rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "ERROR: pytest collected no tests (exit 5)" >&2; exit 1; fi; \
	exit $$rc

test: lint pytest

bench: $(DEV_STAMP)
	$(PY) benchmarks/run.py

# Needs only a venv with uv in it (installed on first use).
lock: | $(PY)
	$(PY) -m uv --version >/dev/null 2>&1 || $(PIP) install uv
	$(PY) -m $(UV_COMPILE) -o requirements.lock
	$(PY) -m $(UV_COMPILE) --extra dev -o requirements-dev.lock

clean:
	rm -rf build dist *.egg-info .pytest_cache .mypy_cache .ruff_cache .hypothesis results
	find . -path ./$(VENV) -prune -o -name __pycache__ -type d -prune -exec rm -rf {} +

distclean: clean
	rm -rf $(VENV)
