# Two commands on a fresh machine: `make run` and `make test` (see README.md).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
PORT ?= 8501

.PHONY: run test lint format install install-dev browser fonts bench clean-db

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

## Debian's chromium (for kaleido chart images and browser tests) and axe-core (for the WCAG
## checks in tests/e2e/, from package-lock.json into node_modules/); each installed when missing
browser:
	@command -v chromium >/dev/null || { \
		echo "Installing Debian's chromium (needs root)"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; }
	@test -f node_modules/axe-core/axe.min.js || { \
		command -v npm >/dev/null || { \
			echo "Installing Debian's npm (needs root)"; \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq npm; }; \
		npm ci --no-audit --no-fund || npm install --no-audit --no-fund; }

## Debian's DejaVu fonts (the PDF meeting pack prints every character with them); when missing
fonts:
	@test -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf || { \
		echo "Installing Debian's fonts-dejavu-core (needs root)"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fonts-dejavu-core; }

lint: install-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: install-dev
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

## make test: everything the tests need, then ruff and the whole suite twice: on SQLite, then on
## PostgreSQL. A throwaway PostgreSQL cluster (scripts/pg-cluster) is started first (the SQLite run
## uses it too, for the copy tests) and stopped at the end, even when tests fail; set
## MONITORING_TEST_PG_URL to use a server of your own instead. Where PostgreSQL cannot be had at
## all the second run is skipped with the reason printed (never in CI, where that is an error).
test: install-dev browser fonts lint
	@set -uo pipefail; \
	pgdir=""; pgurl="$${MONITORING_TEST_PG_URL:-}"; pglog=$$(mktemp /tmp/monitoring-pg-run.XXXXXX); \
	stop_pg() { if [ -n "$$pgdir" ]; then scripts/pg-cluster stop "$$pgdir"; pgdir=""; fi; }; \
	trap 'stop_pg; rm -f "$$pglog"' EXIT; trap 'exit 130' INT TERM; \
	if [ -z "$$pgurl" ]; then \
		pgdir=$$(mktemp -d /tmp/monitoring-pg.XXXXXX); \
		if ! pgurl=$$(scripts/pg-cluster start "$$pgdir"); then \
			rm -rf "$$pgdir"; pgdir=""; pgurl=""; \
			if [ "$${CI:-}" = "true" ]; then \
				echo "error: CI must run the suite on PostgreSQL, and scripts/pg-cluster could not start it (see above)"; \
				exit 1; \
			fi; \
		fi; \
	fi; \
	echo "== Test suite on SQLite"; \
	MONITORING_TEST_PG_URL="$$pgurl" $(PY) -m pytest -n 2 -p no:cacheprovider || exit $$?; \
	if [ -z "$$pgurl" ]; then \
		echo "PostgreSQL run skipped: PostgreSQL cannot be had here (scripts/pg-cluster said why above)"; \
		exit 0; \
	fi; \
	echo "== Test suite on PostgreSQL (tests/e2e ran above: its app servers keep their own SQLite file)"; \
	MONITORING_TEST_BACKEND=postgresql MONITORING_TEST_PG_URL="$$pgurl" \
		$(PY) -m pytest -n 2 -p no:cacheprovider --ignore=tests/e2e 2>&1 | tee "$$pglog"; \
	rc=$${PIPESTATUS[0]}; \
	stop_pg; \
	summary=$$(grep -E '^=+ .*(passed|failed|error).* in [0-9.]+s' "$$pglog" | tail -n 1); \
	passed=$$(grep -Eo '[0-9]+ passed' <<<"$$summary" | grep -Eo '[0-9]+' || echo 0); \
	failed=$$(grep -Eo '[0-9]+ failed' <<<"$$summary" | grep -Eo '[0-9]+' || echo 0); \
	echo "PostgreSQL: $$passed passed, $$failed failed"; \
	exit $$rc

bench: install-dev
	$(PY) -m monitoring bench
