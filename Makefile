# The two commands a newcomer needs: `make run` and `make test`. Everything they need is installed from here.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
CONSOLE_PORT ?= 5000
SANDBOX_PORT ?= 5001
export CONSOLE_PORT SANDBOX_PORT

CATALOG := webapp/translations/es/LC_MESSAGES/messages
.PHONY: run test test-fast lint pytest bench browser-deps clean messages

$(STAMP): pyproject.toml setup.py
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev,sandbox]'
	$(VENV)/bin/pybabel --quiet compile -d webapp/translations -D messages
	@touch $(STAMP)

# The Spanish catalog, recompiled whenever the .po changes after the install (the .mo is not committed).
$(CATALOG).mo: $(CATALOG).po | $(STAMP)
	$(VENV)/bin/pybabel --quiet compile -d webapp/translations -D messages

## messages: re-extract the English texts and merge them into the Spanish catalog (then translate the new ones)
messages: $(STAMP)
	$(VENV)/bin/pybabel extract -F babel.cfg --ignore-dirs='.* __pycache__' --no-location --sort-by-file \
	  -o webapp/translations/messages.pot .
	$(VENV)/bin/pybabel update -i webapp/translations/messages.pot -d webapp/translations -D messages \
	  --no-fuzzy-matching --ignore-obsolete -w 110

## run: the console against the seeded sandbox, both on loopback; prints the URLs and the demo sign-in
run: $(STAMP) $(CATALOG).mo
	$(PY) -m webapp.devrun

## test: lint, then the whole suite (unit, integration over loopback HTTP, browser, scaled-out)
test: $(STAMP) browser-deps lint pytest

pytest: $(STAMP) $(CATALOG).mo
	$(PY) -m pytest -q -p no:cacheprovider

## test-fast: pytest without lint, browser or scaled-out tests (unit and loopback integration only)
test-fast: $(STAMP) $(CATALOG).mo
	$(PY) -m pytest -q -p no:cacheprovider --ignore=tests/browser -m "not browser and not scaled"

lint: $(STAMP)
	$(VENV)/bin/ruff check webapp tests bench wsgi.py gunicorn.conf.py setup.py
	$(VENV)/bin/mypy

## bench: benchmarks that print figures and ratios
bench: $(STAMP)
	$(PY) -m bench

# Browser tests drive Debian's chromium; install it when missing and we are allowed to.
browser-deps:
	@if ! command -v chromium >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "installing chromium from Debian (browser tests need it)"; \
	    apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >/dev/null; \
	  else \
	    echo "chromium is missing and cannot be installed here: browser tests will skip (and fail under CI=true)"; \
	  fi; \
	fi

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
