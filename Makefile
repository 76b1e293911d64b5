# Two commands do everything on a fresh machine with Python 3.11: `make serve` and `make test`.
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: serve test lint bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	$(MAKE) bytecode
	touch $(STAMP)

# The project's bytecode, written even where PYTHONDONTWRITEBYTECODE is set (pip compiles what it
# installs, but not an editable project): else every process compiles the project at start.
.PHONY: bytecode
bytecode:
	$(BIN)/python -m compileall -q fhir_service mappings bench > /dev/null

serve: $(STAMP) bytecode
	$(BIN)/fhir-service serve --seed fixtures

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check . && $(BIN)/ruff format --check .

bench: $(STAMP) bytecode
	$(BIN)/python -m bench $(BENCH_ARGS)

.PHONY: soak
soak: $(STAMP)
	$(BIN)/python -m bench.soak $(SOAK_ARGS)

clean:
	rm -rf $(VENV) var build *.egg-info
