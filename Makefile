# The two commands a newcomer needs are `make serve` and `make test`; both set everything up first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
MERMAID_JS := docs/assets/javascripts/mermaid.min.js
# Material prints a banner about MkDocs 2.0 on every build; this site pins MkDocs 1.x on purpose.
export NO_MKDOCS_2_WARNING := 1

.DEFAULT_GOAL := help
.PHONY: help setup serve build test clean

help:
	@echo "make serve  - set up, then serve the site with live reload on http://127.0.0.1:8000/docker-for-mlops/"
	@echo "make test   - set up, then run every check (offline) and the whole test suite"
	@echo "make build  - set up, then build the publishable site/ with every check"
	@echo "make setup  - install the pinned Python and npm dependencies only"

setup: $(VENV)/.installed $(MERMAID_JS)

$(VENV)/.installed: requirements.txt requirements-dev.txt
	@command -v $(PYTHON) >/dev/null || { echo "error: $(PYTHON) not found: install Python 3.11 or newer (https://www.python.org/downloads/)"; exit 1; }
	@$(PYTHON) -c 'import venv, ensurepip' 2>/dev/null || { echo "error: Python's venv module is missing: on Debian/Ubuntu run 'apt-get install python3-venv'"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	@touch $@

node_modules/.package-lock.json: package.json package-lock.json
	@command -v npm >/dev/null || { echo "error: npm not found: install Node.js 20 or newer (https://nodejs.org/), it brings npm"; exit 1; }
	npm ci --omit=dev --no-audit --no-fund --loglevel=error
	@touch $@

$(MERMAID_JS): node_modules/.package-lock.json
	@mkdir -p $(dir $@)
	cp node_modules/mermaid/dist/mermaid.min.js $@

serve: setup
	$(BIN)/mkdocs serve --dev-addr 127.0.0.1:8000 --livereload

build: setup
	$(BIN)/python scripts/build.py

test: setup
	$(BIN)/python scripts/build.py --offline
	$(BIN)/python -m pytest

clean:
	rm -rf site .cache $(MERMAID_JS)
