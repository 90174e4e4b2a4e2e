# snn-hub: `make demo` and `make test` bootstrap everything they need into .venv.
#
# The venv is created once (python3.11 if present, else python3); `pip install -e '.[test]'`
# reruns only when pyproject.toml changes (stamp file .venv/.installed).

SHELL  := /bin/bash
PYTHON ?= $(shell command -v python3.11 2>/dev/null || command -v python3)
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: demo test lint test-slow bench venv clean-venv pynn-material pynn-tables pynn-failures \
        nir-fixtures nir-roundtrip browser nest-mpi test-mpi

demo: $(STAMP)
	$(PY) -m hub demo

test: lint
	$(PY) -m pytest -q

# style and errors (ruff), the layers (import-linter contracts in pyproject.toml), and the
# types of the typed core (mypy, files listed in pyproject.toml)
lint: $(STAMP)
	$(VENV)/bin/ruff check hub plugins tests models scripts
	$(VENV)/bin/ruff format --check hub plugins tests models scripts
	$(VENV)/bin/lint-imports
	$(VENV)/bin/mypy

# pytest exits 5 when no test is selected: not a failure here
test-slow: $(STAMP)
	$(PY) -m pytest -q -m slow || [ $$? -eq 5 ]

# headless Chromium (Debian/Ubuntu package `chromium`) for the slow test that screenshots the
# compare report (tests/test_report.py); without it that test is skipped with this hint
browser:
	@command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || { \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update && $$SUDO apt-get install -y chromium; }
	@chromium --version 2>/dev/null || chromium-browser --version

# the whole suite (long: Brunel up to 12,500 neurons on every backend, several repeats);
# writes docs/benchmarks.md, docs/benchmarks/*.json, docs/figures/scaling.png, then checks
# the targets against what it measured (a target test fails when its report is missing or was
# measured on other code: each JSON records a fingerprint, hub/benchmarks/freshness.py)
bench: $(STAMP)
	$(PY) -m hub.benchmarks.suite
	$(PY) -m pytest -q -m benchmark tests/benchmarks

# NEST 3.10 with MPI and OpenMP, built from its source distribution into a cached prefix
# outside the repository (about 50 minutes the first time; docs/distributed.md), and mpi4py
# against the same MPI.  The tests marked mpi (tests/test_mpi.py) run whenever that prefix
# exists, in `make test` too; `make test-mpi` runs only them.
NEST_MPI ?= $(HOME)/.cache/snn-hub/nest-3.10.0-mpi

nest-mpi:
	SNN_HUB_NEST_MPI=$(NEST_MPI) PYTHON=$(PYTHON) scripts/build-nest-mpi.sh

test-mpi: $(STAMP)
	SNN_HUB_NEST_MPI=$(NEST_MPI) $(PY) -m pytest -q -m mpi tests/test_mpi.py

# PyNN 0.13.0's own scenarios and examples, downloaded once into a cache outside the
# repository (~/.cache/snn-hub/pynn-0.13.0, or $$SNN_HUB_PYNN_MATERIAL); docs/pynn.md
pynn-material: $(STAMP)
	$(PY) scripts/pynn_material.py

# runs every PyNN scenario and example on pyNN.nest and on hub.pynn (nest, brian2), then
# writes the two acceptance tables of docs/pynn.md (a few minutes)
pynn-tables: $(STAMP)
	PYTHONPATH=tests $(PY) -m pynn_accept measure

# what fails on hub.pynn, grouped by first error, from the last `make pynn-tables`
pynn-failures: $(STAMP)
	PYTHONPATH=tests $(PY) -m pynn_accept failures

# tests/data/nir/: NIR graphs written by snnTorch, Norse and Rockpool's own exporters, with
# their outputs (docs/nir.md).  Torch and the frameworks live in a venv of their own outside
# the repository (python3.11: the CPU torch wheel), never in .venv; the pins are in
# scripts/nir_fixtures_requirements.txt, reinstalled only when that file changes.
NIR_VENV   ?= $(HOME)/.cache/snn-hub/nir-frameworks-venv
NIR_PYTHON ?= python3.11
NIR_STAMP  := $(NIR_VENV)/.installed

nir-fixtures: $(NIR_STAMP)
	$(NIR_VENV)/bin/python scripts/nir_fixtures.py

# hub -> NIR -> snnTorch: .venv exports a small hub network (hub.to_nir, "snntorch"), snnTorch imports and
# runs it in the frameworks venv (import_from_nir), .venv runs it on nest and brian2 and
# compares per step; writes tests/data/nir/hub_roundtrip.{nir,npz,json} (docs/nir.md)
nir-roundtrip: $(NIR_STAMP) $(STAMP)
	$(PY) scripts/nir_roundtrip.py export
	$(NIR_VENV)/bin/python scripts/nir_roundtrip_snntorch.py
	$(PY) scripts/nir_roundtrip.py compare

$(NIR_STAMP): scripts/nir_fixtures_requirements.txt
	test -x $(NIR_VENV)/bin/python || $(NIR_PYTHON) -m venv $(NIR_VENV)
	$(NIR_VENV)/bin/python -m pip install --quiet torch==2.13.0
	$(NIR_VENV)/bin/python -m pip install --quiet -r scripts/nir_fixtures_requirements.txt
	@touch $@

venv: $(STAMP)

$(PY):
	@test -n "$(PYTHON)" || { echo "no python3 found" >&2; exit 1; }
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e '.[test]'
	@touch $@

clean-venv:
	rm -rf $(VENV)
