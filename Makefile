# Two commands for users: `make test` and `make report`. Each creates .venv if missing,
# installs the package with the pinned constraints, and runs. Re-running is fast: the install
# step is skipped while pyproject.toml and constraints.txt are unchanged. `make docs` builds
# the documentation site into site/.
PYTHON ?= python3.11
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
# neurobench (the cross-check of tests/comparisons/test_neurobench_counts.py), test only:
# installed without its dependencies into a folder of its own, which the test puts on
# sys.path. Its metrics import only torch, numpy, snntorch and tqdm (all here); its declared
# torchaudio (PyPI's wheel is a CUDA build that does not load next to the CPU torch) and
# tonic (librosa, scipy, ...) serve its audio data sets and pre-processors only. Kept out
# of site-packages so that `pip check` stays clean. No network: the test skips, saying so.
NB_DIR   := $(VENV)/neurobench
NB_STAMP := $(NB_DIR)/.installed
# NEST (the peer of benchmarks/microcircuit.py), benchmarks only, never a dependency of
# neurosim: a failed install (no wheel for this platform, no network) leaves `make bench`
# running the benchmark without it and the NEST test of tests/neurosim/test_microcircuit.py
# skipping.
NEST_STAMP := $(VENV)/.nest-installed
PIP    := $(PY) -m pip --disable-pip-version-check

.PHONY: install test test-all report lint bench docs clean

install: $(STAMP) $(NB_STAMP) $(NEST_STAMP)

$(STAMP): pyproject.toml constraints.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip setuptools wheel
	$(PIP) install -q -c constraints.txt -e '.[dev]'
	@touch $(STAMP)

$(NB_STAMP): $(STAMP)
	-$(PIP) install -q --no-deps --upgrade --target $(NB_DIR) neurobench==2.3.0 && touch $(NB_STAMP)

$(NEST_STAMP): $(STAMP)
	-$(PIP) install -q -c constraints.txt nest-simulator==3.10.0 && touch $(NEST_STAMP)

test: $(STAMP) $(NB_STAMP)
	$(PY) -m pytest -q

test-all: $(STAMP) $(NB_STAMP)
	$(PY) -m pytest -q -m ''

lint: $(STAMP)
	$(VENV)/bin/ruff check .

report: $(STAMP)
	$(VENV)/bin/neurosim-compare run --preset quick --out reports/latest --local-workers 2

bench: $(STAMP) $(NEST_STAMP)
	@for b in benchmarks/*.py; do echo "== $$b"; $(PY) $$b --quick || exit 1; done

# The documentation site (MkDocs + mkdocstrings, from the numpydoc docstrings) -> site/.
# --strict: a broken link or an unparsable docstring fails the build.
docs: $(STAMP)
	NO_MKDOCS_2_WARNING=1 $(VENV)/bin/mkdocs build --strict -d site

clean:
	rm -rf $(VENV) reports build site *.egg-info .pytest_cache .ruff_cache
