# ecoc — two commands on a fresh machine: `make demo` (the release sequence end to end) and `make test`.
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

export PSYCOPG_WAIT_FUNC := wait_selector

.PHONY: install demo up test test-unit test-integration test-e2e bench system-deps node-deps clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

# Debian packages the tests use: xmlsec1 (independent signature check), chromium and chromium-driver (the
# dashboard page in a headless browser), poppler-utils (the paper CoC's text, page renders and an independent
# PDF signature check: pdftotext, pdftoppm, pdfsig), zbar-tools (reads its QR code back) and fonts-dejavu-core
# (the fonts the paper CoC embeds; the services need them too). Installed only when missing.
system-deps:
	@command -v xmlsec1 >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq xmlsec1 >/dev/null; \
	  else sudo apt-get update -qq && sudo apt-get install -y -qq xmlsec1 >/dev/null; fi; }
	@{ command -v chromium >/dev/null 2>&1 && command -v chromedriver >/dev/null 2>&1; } || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq chromium chromium-driver >/dev/null; \
	  else sudo apt-get update -qq && sudo apt-get install -y -qq chromium chromium-driver >/dev/null; fi; }
	@{ command -v pdftotext >/dev/null 2>&1 && command -v pdfsig >/dev/null 2>&1 && command -v zbarimg >/dev/null 2>&1; } || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq poppler-utils zbar-tools >/dev/null; \
	  else sudo apt-get update -qq && sudo apt-get install -y -qq poppler-utils zbar-tools >/dev/null; fi; }
	@test -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq fonts-dejavu-core >/dev/null; \
	  else sudo apt-get update -qq && sudo apt-get install -y -qq fonts-dejavu-core >/dev/null; fi; }

# npm packages the browser tests inject into Chromium (axe-core: the accessibility check); package.json pins them
node-deps:
	@test -f node_modules/axe-core/axe.min.js || npm install --no-audit --no-fund --silent

demo: install
	$(BIN)/ecoc demo

up: install
	$(BIN)/ecoc up

test: install system-deps node-deps
	$(BIN)/pytest -q

test-unit: install
	$(BIN)/pytest -q tests/unit

test-integration: install
	$(BIN)/pytest -q tests/integration

test-e2e: install system-deps node-deps
	$(BIN)/pytest -q tests/e2e

bench: install
	$(BIN)/python -m bench.release_sequence $(N)

clean:
	rm -rf $(VENV) var out
