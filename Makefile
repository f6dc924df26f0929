# Two commands matter: `make demo` and `make test`. Both build .venv from the
# requirements files when it is missing or older than them.

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
PY     := $(BIN)/python
# pytest workers: the notebook tests run real kernels, two cores take two.
JOBS   ?= auto

RUNTIME_STAMP := $(VENV)/.runtime-installed
DEV_STAMP     := $(VENV)/.dev-installed

.PHONY: help demo test lint pytest bench release lab clean

help:
	@echo "make demo   - run the main job on the bundled demo class"
	@echo "make test   - ruff and the whole pytest suite"
	@echo "make bench  - benchmarks (prints ratios against a baseline from the same run)"
	@echo "make release- regenerate release/ from source/ with nbgrader"
	@echo "make lab    - open JupyterLab on the course"

$(PY):
	$(PYTHON) -m venv $(VENV)

$(RUNTIME_STAMP): requirements.txt pyproject.toml | $(PY)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	@touch $@

$(DEV_STAMP): $(RUNTIME_STAMP) requirements-dev.txt
	$(PY) -m pip install --quiet -r requirements-dev.txt
	@touch $@

demo: $(RUNTIME_STAMP)
	$(PY) -m dlkit.worked_example

lint: $(DEV_STAMP)
	$(BIN)/ruff check dlkit autograde tests bench

pytest: $(DEV_STAMP)
	$(BIN)/pytest -n $(JOBS)

test: lint pytest

bench: $(RUNTIME_STAMP)
	$(PY) bench/bench_mlp.py

release: $(RUNTIME_STAMP)
	$(BIN)/nbgrader generate_assignment --all --force

lab: $(RUNTIME_STAMP)
	$(BIN)/jupyter lab

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis
