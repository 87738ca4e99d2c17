# LienThong: `make run` serves the demo, `make test` runs every check. Both set up what they need.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000
export DATABASE_URL ?= sqlite:///$(CURDIR)/var/lienthong.sqlite
export LIENTHONG_DATA_DIR ?= $(CURDIR)/var
PG_TEST_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/test
APT_PACKAGES := graphviz chromium fonts-noto-core fonts-dejavu-core libpango-1.0-0 libpangoft2-1.0-0 poppler-utils

.PHONY: run test setup sysdeps lint typecheck test-sqlite test-postgres bench diagrams screenshots clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

# Debian packages the product needs (graphviz, a font with Vietnamese glyphs, chromium for
# browser tests, pango for PDFs, poppler-utils for the PDF text checks): installed only when one is missing.
sysdeps:
	@missing=""; for p in $(APT_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "Installing Debian packages:$$missing"; \
	  SUDO=""; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing >/dev/null; \
	fi

setup: sysdeps $(VENV)/.installed
	@mkdir -p var

run: setup
	$(BIN)/lienthong init-db
	$(BIN)/lienthong seed-demo --history
	$(BIN)/lienthong serve --host $(HOST) --port $(PORT)

lint: setup
	$(BIN)/ruff check .

typecheck: setup
	$(BIN)/mypy

# Tests marked `postgres` (the fault test) need the server: they run in the PostgreSQL pass.
test-sqlite: setup
	$(BIN)/pytest -m "not postgres"

test-postgres: setup
	LIENTHONG_TEST_DATABASE_URL=$(PG_TEST_URL) $(BIN)/pytest

test: lint typecheck test-sqlite test-postgres

bench: setup
	$(BIN)/python benchmarks/engine_throughput.py

screenshots: setup
	LIENTHONG_SCREENSHOTS=1 $(BIN)/pytest -m browser -q

diagrams: setup
	$(BIN)/lienthong render --all -o diagrams --format svg,pdf

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
