# Undersigned: `make run` to try it, `make test` to check it. See README.md.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
export FLASK_APP := portal
HTMX := portal/static/vendor/htmx.min.js
CATALOGUES := $(wildcard translations/*/LC_MESSAGES/messages.po)

.PHONY: setup run serve test lint i18n compile db bench clean

setup: $(VENV)/.installed $(HTMX) compile

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test]'
	touch $@

$(HTMX): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	mkdir -p $(dir $(HTMX))
	cp node_modules/htmx.org/dist/htmx.min.js $(HTMX)

compile: $(VENV)/.installed
	@if ls translations/*/LC_MESSAGES/messages.po >/dev/null 2>&1; then \
	  $(BIN)/pybabel -q compile -d translations; fi

db: setup
	$(BIN)/flask db upgrade
	$(BIN)/flask demo --if-empty

run: db
	@echo
	@echo "Coordinator login (from instance/demo-login.txt):"
	@sed -e 's/^/    /' instance/demo-login.txt 2>/dev/null || true
	@echo "Serving on http://127.0.0.1:5000 (Ctrl-C to stop). Emails are printed here."
	@echo
	$(BIN)/flask run --host 127.0.0.1 --port 5000

serve: db
	$(BIN)/gunicorn -c gunicorn.conf.py wsgi:app

# Two pytest workers; each test file stays on one worker (its module fixtures, servers and
# browser are set up once). TEST_WORKERS=0 runs everything in one process.
TEST_WORKERS ?= 2
test: setup
	$(BIN)/pytest -n $(TEST_WORKERS) --dist loadfile $(PYTEST_ARGS)

lint: setup
	$(BIN)/ruff check portal tests bench

i18n: setup
	$(BIN)/pybabel -q extract -F babel.cfg -k _l -k lazy_gettext -o translations/messages.pot --no-location --sort-output --project Undersigned .
	for lang in fr es ar ru en; do \
	  if [ -f translations/$$lang/LC_MESSAGES/messages.po ]; then \
	    $(BIN)/pybabel -q update -N --no-wrap -i translations/messages.pot -d translations -l $$lang --ignore-obsolete; \
	  else $(BIN)/pybabel -q init --no-wrap -i translations/messages.pot -d translations -l $$lang; fi; \
	done
	$(BIN)/pybabel compile -d translations --statistics 2>&1 | grep "translated in"
	$(BIN)/pytest -q -p no:cacheprovider tests/test_i18n.py -k "catalogue or placeholders or copies or every_plural_form"

bench: setup
	@command -v wrk >/dev/null || { echo "make bench needs wrk: sudo apt-get install wrk (and nginx-light for the proxy runs)"; exit 2; }
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) node_modules portal/static/vendor .pytest_cache
