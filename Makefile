# Two commands work on a fresh machine with only Python 3.11 and make:
#   make demo   creates .venv if needed, installs netmend, runs the embedded sandbox demo
#   make test   creates .venv if needed, installs netmend with its dev tools, runs every test
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.netmend-installed

.PHONY: demo test lint unit integration bench clean

$(PY):
	@echo "netmend: creating the virtualenv $(VENV) (once)"
	$(PYTHON) -m venv $(VENV)
	@echo "netmend: upgrading pip in $(VENV)"
	$(PY) -m pip install --quiet --upgrade pip

# pip --quiet prints nothing for a minute or two: say what is happening first.
$(STAMP): $(PY) pyproject.toml
	@echo "netmend: installing netmend and its dependencies into $(VENV) (about 1-2 minutes, once)"
	$(PY) -m pip install --quiet -e '.[dev,slack]'
	@echo "netmend: installed; next time this step is skipped"
	touch $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/netmend demo

# pytest exits 5 when it collected no test: make treats that as a failure, as it must
# (pytest-xdist keeps that exit code). One worker per core (-n auto), each with its own
# moto server; a test file stays on one worker (--dist loadfile), so module-scoped
# estates are built once and never reset under a neighbour's test.
XDIST := -n auto --dist loadfile

test: $(STAMP)
	$(PY) -m pytest -q $(XDIST)

unit: $(STAMP)
	$(PY) -m pytest -q $(XDIST) tests/unit

integration: $(STAMP)
	$(PY) -m pytest -q $(XDIST) tests/integration

lint: $(STAMP)
	$(VENV)/bin/ruff check engine tests benchmarks examples
	$(VENV)/bin/ruff format --check engine tests benchmarks examples
	$(VENV)/bin/mypy
	$(PY) -m pytest -q -p no:cacheprovider tests/unit/test_architecture.py

bench: $(STAMP)
	$(PY) benchmarks/bench_evaluate.py

clean:
	rm -rf $(VENV) build *.egg-info engine/*.egg-info .pytest_cache .mypy_cache .ruff_cache
