# Funia: `make demo` runs it, `make test` tests it.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# Test processes in parallel (pytest-xdist); TEST_WORKERS=0 runs the suite in this process.
TEST_WORKERS ?= 2

.PHONY: install demo serve test lint format messages bench clean

install: $(STAMP)
	@$(BIN)/funia compilemessages

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

demo: install
	$(BIN)/funia demo

serve: install
	$(BIN)/funia serve

test: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/funia check
	$(BIN)/funia makemigrations --check --dry-run
	$(BIN)/pytest -n $(TEST_WORKERS) --dist loadfile

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

messages: install
	cd src/funia && FUNIA_VAR_DIR=../../var ../../$(BIN)/funia makemessages -l bg \
		--no-obsolete --no-wrap --ignore '*/migrations/*'

bench: install
	$(BIN)/python bench/run_all.py

clean:
	rm -rf $(VENV) var
