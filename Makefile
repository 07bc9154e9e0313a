# Two commands do all set-up on a fresh machine with Python 3.11+:
#   make demo   -> creates .venv if missing, installs, runs `twin demo` (writes out/demo/index.html)
#   make test   -> same venv, runs the test suite
PY ?= $(shell for p in python3.13 python3.12 python3.11 python3; do command -v $$p >/dev/null && $$p -c 'import sys; sys.exit(sys.version_info < (3, 11))' && echo $$p && break; done)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-citytwin

.PHONY: install demo test sample bench clean

$(STAMP): pyproject.toml
	@test -n "$(PY)" || { echo "make: need Python 3.11 or newer on PATH" >&2; exit 1; }
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/twin demo

test: $(STAMP)
	$(BIN)/python -m pytest -q --durations=15

sample: $(STAMP)
	$(BIN)/python data_samples/build_sample_city.py

bench: $(STAMP)
	$(BIN)/python -m pip install -q -e ".[bench]"
	$(BIN)/python -m pip install -q --no-deps "jupedsim>=1.4.2" "deprecated>=1.2.18" "wrapt>=1.14"
	for b in benchmarks/*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

clean:
	rm -rf out .pytest_cache
