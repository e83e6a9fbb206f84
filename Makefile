# Two commands for users: `make test` and `make report`. Each creates .venv if missing,
# installs the package with the pinned constraints, and runs. Re-running is fast: the install
# step is skipped while pyproject.toml and constraints.txt are unchanged. `make docs` builds
# the documentation site into site/.
PYTHON ?= python3.11
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
PIP    := $(PY) -m pip --disable-pip-version-check

.PHONY: install test test-all report lint bench docs clean

install: $(STAMP)

$(STAMP): pyproject.toml constraints.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip setuptools wheel
	$(PIP) install -q -c constraints.txt -e '.[dev]'
	@touch $(STAMP)

test: $(STAMP)
	$(PY) -m pytest -q

test-all: $(STAMP)
	$(PY) -m pytest -q -m ''

lint: $(STAMP)
	$(VENV)/bin/ruff check .

report: $(STAMP)
	$(VENV)/bin/neurosim-compare run --preset quick --out reports/latest --local-workers 2

bench: $(STAMP)
	@for b in benchmarks/*.py; do echo "== $$b"; $(PY) $$b --quick || exit 1; done

# The documentation site (MkDocs + mkdocstrings, from the numpydoc docstrings) -> site/.
# --strict: a broken link or an unparsable docstring fails the build.
docs: $(STAMP)
	NO_MKDOCS_2_WARNING=1 $(VENV)/bin/mkdocs build --strict -d site

clean:
	rm -rf $(VENV) reports build site *.egg-info .pytest_cache .ruff_cache
