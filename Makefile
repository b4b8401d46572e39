# The two set-up commands of the README: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# The demo needs the library and the web extra; the tests add the dev tools. Both install the
# versions the suite last passed with (constraints.txt; `make constraints` refreshes it).
DEMO_STAMP := $(VENV)/.installed-demo
STAMP := $(VENV)/.installed

.PHONY: demo test lint bench clean install constraints

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(DEMO_STAMP): pyproject.toml constraints.txt | $(VENV)/bin/python
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[web]'
	touch $(DEMO_STAMP)

$(STAMP): pyproject.toml constraints.txt | $(VENV)/bin/python
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev]'
	touch $(STAMP) $(DEMO_STAMP)

install: $(STAMP)

demo: $(DEMO_STAMP)
	$(BIN)/detente demo

constraints: $(STAMP)
	$(BIN)/python -m pip freeze --exclude-editable | grep -v '^-e ' > constraints.txt

test: $(STAMP)
	$(BIN)/ruff check detente tests benchmarks examples scripts
	$(BIN)/mypy
	$(BIN)/python -m pytest -n 2 --timeout 600; code=$$?; \
	if [ $$code -eq 5 ]; then echo "pytest collected no tests: failing" >&2; fi; exit $$code

lint: $(STAMP)
	$(BIN)/ruff check detente tests benchmarks examples scripts

bench: $(STAMP)
	for b in benchmarks/bench_*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .mypy_cache .hypothesis
