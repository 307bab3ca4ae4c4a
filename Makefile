# The two commands of the README:
#   make run    create .venv if needed, then run the default workflow end to end (offline, CPU)
#   make test   create .venv if needed, then run the linters and the test suite
# Everything the project needs is installed from pyproject.toml into .venv; nothing by hand.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.repgeom-installed
CORES  ?= 2

.PHONY: run test venv lint clean-results

venv: $(STAMP)

# Re-install whenever pyproject.toml changes (the stamp is older than it).
$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/snakemake --profile workflow/profiles/local --cores $(CORES)

test: lint
	$(BIN)/python -m pytest

# Style stays checked: CI runs `make test`, which runs this first (ruff and snakefmt are
# pinned in pyproject.toml's test extra, so every machine lints alike).
lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/snakefmt --check Snakefile workflow/rules
	$(BIN)/snakemake --lint

clean-results:
	rm -rf results/stimuli results/neural results/activations results/*.nc figures/*.png figures/*.pdf logs
