# The README's two commands: `make run` and `make test`. Everything else is a helper.
VENV    := .venv
PYTHON  := $(VENV)/bin/python
FLASK   := $(VENV)/bin/flask --app scoring
HOST    ?= 127.0.0.1
PORT    ?= 5000

.PHONY: run test bench translations lint

$(VENV)/bin/python:
	python3 -m venv $(VENV)
	$(PYTHON) -m pip install --quiet --upgrade pip

# Reinstalled whenever pyproject.toml changes.
$(VENV)/.installed-run: pyproject.toml | $(VENV)/bin/python
	$(PYTHON) -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(VENV)/bin/python
	$(PYTHON) -m pip install --quiet -e '.[test]'
	touch $@ $(VENV)/.installed-run

## Serve the app with the demo contests on SQLite in instance/ at http://$(HOST):$(PORT)
# Links in e-mails and documents, and the address the demo prints, point where the app
# really runs (unless PUBLIC_URL is set).
run: export PUBLIC_URL ?= http://$(HOST):$(PORT)
run: $(VENV)/.installed-run
	$(FLASK) init-db
	$(FLASK) demo --if-empty
	$(FLASK) run --host $(HOST) --port $(PORT)

## Run the whole test suite (set TEST_DATABASE_URL to run it on PostgreSQL)
test: $(VENV)/.installed-test
	$(PYTHON) -m pytest $(PYTEST_ARGS)

## Measure the performance goals of SPEC §10 (not part of the test suite)
bench: $(VENV)/.installed-test
	$(PYTHON) scripts/bench.py

## Extract messages, merge them into the Ukrainian catalogue and compile it
translations: $(VENV)/.installed-test
	$(VENV)/bin/pybabel extract -F babel.cfg -k _l -k lazy_gettext \
	    --ignore-dirs ".* __pycache__ node_modules" --no-location --sort-output \
	    --project scoring -o scoring/translations/messages.pot .
	$(VENV)/bin/pybabel update -i scoring/translations/messages.pot -d scoring/translations \
	    -l uk --no-fuzzy-matching --width 100
	$(VENV)/bin/pybabel compile -d scoring/translations --statistics

lint: $(VENV)/.installed-test
	$(VENV)/bin/ruff check .
