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

.PHONY: help demo test test-browser lint pytest bench bench-grading bench-widgets bench-sandbox worked-example release lab hub clean

help:
	@echo "make demo   - run the main job on the bundled demo class"
	@echo "make test   - ruff and the whole pytest suite"
	@echo "make test-browser - JupyterLab in headless Chromium (screenshots in reports/browser/)"
	@echo "make bench  - benchmarks (prints ratios against a baseline from the same run)"
	@echo "              also bench-grading, bench-widgets, bench-sandbox"
	@echo "make release - regenerate release/ from source/ with nbgrader"
	@echo "make lab    - open JupyterLab on the course"
	@echo "make hub    - the course on a JupyterHub here, graded on submit (as root)"

$(PY):
	$(PYTHON) -m venv $(VENV)

$(RUNTIME_STAMP): requirements.txt pyproject.toml | $(PY)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	@touch $@

$(DEV_STAMP): $(RUNTIME_STAMP) requirements-dev.txt
	$(PY) -m pip install --quiet -r requirements-dev.txt
	@touch $@

# The main job on the bundled demo class: fill the gradebook and release,
# build the class, grade it in parallel, write feedback, export grades.csv,
# and end with the report's summary table.
demo: $(RUNTIME_STAMP)
	rm -rf submitted autograded feedback reports gradebook.db grades.csv
	$(BIN)/autograde release
	$(BIN)/autograde demo
	$(BIN)/autograde grade
	$(BIN)/autograde feedback
	$(BIN)/autograde export
	$(BIN)/autograde report

lint: $(DEV_STAMP)
	$(BIN)/ruff check dlkit autograde tests bench

pytest: $(DEV_STAMP)
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/pytest -n $(JOBS) --dist loadgroup --durations=12

test: lint pytest

# The course in a real browser (also part of `make test`): JupyterLab and
# nbgrader's formgrader in Debian's headless Chromium, driven by Playwright;
# a screenshot of each step in reports/browser/ (or $$BROWSER_SCREENSHOTS).
test-browser: $(DEV_STAMP)
	PATH="$(CURDIR)/$(BIN):$$PATH" BROWSER_SCREENSHOTS="$(CURDIR)/reports/browser" \
		$(BIN)/pytest tests/browser --durations=0

# The lecture's worked backpropagation example, exact, beside the slide's numbers.
worked-example: $(RUNTIME_STAMP)
	$(PY) -m dlkit.worked_example

bench: $(RUNTIME_STAMP)
	$(PY) bench/bench_mlp.py

release: $(RUNTIME_STAMP)
	$(BIN)/autograde release

bench-grading: $(RUNTIME_STAMP)
	$(PY) bench/bench_grading.py

bench-widgets: $(RUNTIME_STAMP)
	$(PY) bench/bench_widgets.py

bench-sandbox: $(RUNTIME_STAMP)
	$(PY) bench/bench_sandbox.py

# The course on a JupyterHub on this machine (as root): an account per student,
# graded on submit. JupyterHub from requirements-hub.txt, its proxy from npm
# (package.json / package-lock.json, pinned). Not part of the Quick start.
HUB_STAMP := $(VENV)/.hub-installed
$(HUB_STAMP): $(RUNTIME_STAMP) requirements-hub.txt
	$(PY) -m pip install --quiet -r requirements-hub.txt
	@touch $@

node_modules/.bin/configurable-http-proxy: package.json package-lock.json
	npm ci --no-audit --no-fund

hub: $(HUB_STAMP) node_modules/.bin/configurable-http-proxy
	$(BIN)/autograde hub

lab: $(RUNTIME_STAMP)
	$(BIN)/jupyter lab $$( [ "$$(id -u)" = 0 ] && echo --allow-root )

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis
