# Two commands for a new user on a fresh machine:
#   make run    set everything up and serve the demo on http://127.0.0.1:5000/
#   make test   set everything up and run the whole suite
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000
export INSTANCE_PATH ?= $(CURDIR)/instance
PYTEST_ARGS ?=

.PHONY: run test test-sqlite test-postgres install install-dev translations extract-messages demo bench soak clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements.txt requirements-dev.txt $(VENV)/.installed
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed translations
install-dev: $(VENV)/.installed-dev translations

# Compiled catalogues are build output (.mo is not committed).
translations: $(VENV)/.installed
	$(BIN)/pybabel -q compile -d translations

# After adding or changing UI strings: extract, then translate the new entries in
# translations/en/LC_MESSAGES/messages.po.
extract-messages: $(VENV)/.installed
	$(BIN)/pybabel -q extract -F babel.cfg --no-location --sort-output -k _l -k lazy_gettext -o translations/messages.pot .
	$(BIN)/pybabel -q update -i translations/messages.pot -d translations --no-fuzzy-matching

# gunicorn also reads ./gunicorn.conf.py from here (hooks: load the search analyser in each
# worker before it serves; export the worker count, warn about per-process rate limits).
# Links in emails (verification, unsubscribe) point at the served address unless SITE_URL says otherwise.
run: export SITE_URL ?= http://$(HOST):$(PORT)
run: install
	$(BIN)/flask --app app db upgrade
	PUBLIC_URL=http://$(HOST):$(PORT)/ $(BIN)/flask --app app demo load
	@echo
	@echo "  Serving on http://$(HOST):$(PORT)/   (Ctrl-C to stop; the job consumer stops with it)"
	@echo
	@# The background-job consumer (exports, emails) runs beside the web server and stops with it.
	$(BIN)/flask --app app jobs consume --workers 2 & consumer=$$!; \
	trap 'kill -INT $$consumer 2>/dev/null; wait $$consumer' EXIT INT TERM; \
	$(BIN)/gunicorn --bind $(HOST):$(PORT) --workers 1 --threads 8 --access-logfile - app:app

# The whole suite on the embedded SQLite; then again on PostgreSQL when
# TEST_DATABASE_URL is set (.ci/run sets it when a server is reachable).
test: install-dev
	env -u TEST_DATABASE_URL $(BIN)/python -m pytest $(PYTEST_ARGS)
	@if [ -n "$$TEST_DATABASE_URL" ]; then $(MAKE) --no-print-directory test-postgres; fi

test-postgres: install-dev
	$(BIN)/python -m pytest -m "not browser" $(PYTEST_ARGS)

demo: install
	$(BIN)/flask --app app db upgrade
	PUBLIC_URL=http://$(HOST):$(PORT)/ $(BIN)/flask --app app demo load

bench: install-dev
	@for script in bench/bench_*.py; do echo "== $$script"; $(BIN)/python $$script || exit 1; done

# Minutes of load through gunicorn on a scratch instance; not part of `make test` or CI.
# SQLite by default; DATABASE_URL=postgresql+psycopg://… runs it in a scratch database
# on that server. SOAK_ARGS="--minutes 1" for a short run. See bench/README.md, "Soak".
soak: install
	$(BIN)/python bench/soak.py $(SOAK_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis
