# Two commands on a fresh machine: `make run` and `make test` (see README.md).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
PORT ?= 8501

.PHONY: run test lint format install install-dev browser bench clean-db

$(VENV)/.installed: requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed requirements-dev.txt
	$(PIP) install --quiet -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

## make run: install, create/migrate the database, load demo data if empty, start the app
run: install
	$(PY) -m monitoring init
	$(PY) -m monitoring demo --if-empty
	$(VENV)/bin/streamlit run dashboard.py --server.headless true --server.port $(PORT) \
		--browser.gatherUsageStats false

## Debian's chromium (for kaleido chart images and browser tests); installed when missing
browser:
	@command -v chromium >/dev/null || { \
		echo "Installing Debian's chromium (needs root)"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; }

lint: install-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: install-dev
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

## make test: everything the tests need, then ruff and the whole suite
test: install-dev browser lint
	$(PY) -m pytest -n 2 -p no:cacheprovider

bench: install-dev
	$(PY) -m monitoring bench
