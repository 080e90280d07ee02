# Two commands work on a fresh machine with only Python 3.11 and make:
#   make demo   creates .venv if needed, installs netmend, runs the embedded sandbox demo
#   make test   creates .venv if needed, installs netmend with its dev tools, runs every test
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.netmend-installed

.PHONY: demo test lint unit integration bench clean

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(STAMP): $(PY) pyproject.toml
	$(PY) -m pip install --quiet -e '.[dev,slack]'
	touch $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/netmend demo

# pytest exits 5 when it collected no test: make treats that as a failure, as it must.
test: $(STAMP)
	$(PY) -m pytest -q

unit: $(STAMP)
	$(PY) -m pytest -q tests/unit

integration: $(STAMP)
	$(PY) -m pytest -q tests/integration

lint: $(STAMP)
	$(VENV)/bin/ruff check engine tests benchmarks examples
	$(VENV)/bin/ruff format --check engine tests benchmarks examples
	$(VENV)/bin/mypy
	$(PY) -m pytest -q -p no:cacheprovider tests/unit/test_architecture.py

bench: $(STAMP)
	$(PY) benchmarks/bench_evaluate.py

clean:
	rm -rf $(VENV) build *.egg-info engine/*.egg-info .pytest_cache .mypy_cache .ruff_cache
