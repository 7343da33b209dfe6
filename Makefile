# Two commands do all the set-up: `make run` (the app) and `make test` (the tests).
VENV   ?= .venv
PY     := $(VENV)/bin/python
SUDO   := $(shell [ "$$(id -u)" -eq 0 ] || echo sudo)
export HF_HUB_OFFLINE := 1

.PHONY: run test test-fast bench lint chromium

$(VENV)/.runtime: requirements.txt pyproject.toml
	@test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -r requirements.txt -e .
	@touch $@

$(VENV)/.dev: $(VENV)/.runtime requirements-dev.txt
	$(PY) -m pip install -r requirements-dev.txt
	@touch $@

run: $(VENV)/.runtime  ## install, build missing caches (with progress), start the app
	$(PY) -m ecomrec build-cache --background
	$(PY) -m streamlit run app.py

test: $(VENV)/.dev chromium  ## install (chromium too) and run every test
	$(PY) -m pytest

test-fast: $(VENV)/.dev
	$(PY) -m pytest -m "not slow and not e2e"

bench: $(VENV)/.runtime
	$(PY) -m ecomrec bench --json bench.json

lint: $(VENV)/.dev
	$(PY) -m ruff check .

chromium:  ## Debian's chromium for the browser tests (never `playwright install`)
	@command -v chromium >/dev/null 2>&1 || { $(SUDO) apt-get update -qq && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; }
