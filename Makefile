# One command sets up and runs everything; one runs the tests. See README.md.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
EXTRACT := data_synthetic
OUT := output

.PHONY: setup data recipe-data srs-bundle run test test-slow bench bench-scale bench-notebooks bench-akm lint refresh student clean

$(STAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

setup: $(STAMP)

# Regenerates the default extract only when it is missing or its checksums disagree.
data: setup
	$(BIN)/python tools/ensure_extract.py $(EXTRACT)

# The extract as CSV in data_csv/, which the recipes' blocks read (recipes/README.md).
recipe-data: setup
	$(BIN)/python tools/recipes.py data

# The SRS import bundle: leokit's SRS modules, every recipe as plain .py/.R/.do/.sql files, a
# README on the import route and SHA256SUMS, in output/srs_bundle/ and output/srs_bundle.zip.
srs-bundle: setup
	$(BIN)/python tools/recipes.py bundle --out $(OUT)/srs_bundle

run: data
	$(BIN)/python tools/run_notebooks.py --extract $(EXTRACT) --out $(OUT)

test: setup
	PYTHON=$(BIN)/python bash tools/test_setup.sh
	$(BIN)/python -m pytest -n 2 --dist loadfile

test-slow: setup
	PYTHON=$(BIN)/python bash tools/test_setup.sh
	$(BIN)/python -m pytest -m slow -v

bench: setup
	$(BIN)/python tools/bench_synth.py

# Derivations at national scale: pandas, pandas chunked, DuckDB, Spark (SCALE=0.05 for a quick
# run; EXTRACT_DIR=<folder> to reuse an extract written by `leokit synth`).
SCALE ?= 1
bench-scale: setup
	$(BIN)/python tools/bench_scale.py --scale $(SCALE) $(if $(EXTRACT_DIR),--extract $(EXTRACT_DIR),)

bench-notebooks: data
	$(BIN)/python tools/bench_notebooks.py

# The AKM step on a 2-million-row panel: linearmodels (LSMR) versus pyfixest, time and memory.
bench-akm: setup
	$(BIN)/python tools/bench_akm.py

# Student copies of the notebooks (solutions removed) in student/.
student: setup
	$(BIN)/python tools/student_copies.py

# Re-executes notebooks/NN_*.py into their committed references NN_*.ipynb (after an edit).
refresh: data
	$(BIN)/python tools/refresh_notebooks.py

lint: setup
	$(BIN)/ruff check src tests tools notebooks
	$(BIN)/ruff format --check src tests tools notebooks

clean:
	rm -rf $(OUT) .pytest_cache
