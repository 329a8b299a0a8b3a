# Two commands on a fresh machine: `make demo` and `make test`. Each installs what it needs
# (a project-local .venv, Debian's prometheus package for promtool), idempotently.

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
VENV_STAMP := $(VENV)/.installed

.PHONY: demo test bench venv tools clean

$(VENV_STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	@touch $@

venv: $(VENV_STAMP)

# promtool comes with Debian's prometheus package; installed once, as the tests need it.
tools:
	@scripts/ensure-debian-packages.sh promtool:prometheus

demo: venv
	$(PY) scripts/demo.py

test: venv tools
	$(PY) -m pytest

bench: venv
	$(PY) bench/redaction_bench.py
	$(PY) bench/agent_os_bench.py

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis agent-os-otel.log
