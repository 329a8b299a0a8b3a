# Two commands on a fresh machine: `make demo` and `make test`. Each installs what it needs
# (a project-local .venv, Debian's prometheus package for promtool and the Prometheus server, the
# Zipkin server jar from Maven Central, Jaeger and the collector built with Go), idempotently.

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
VENV_STAMP := $(VENV)/.installed

.PHONY: demo test bench bench-tools bench-peers bench-scripts venv tools collector go-test clean

$(VENV_STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	@touch $@

venv: $(VENV_STAMP)

# promtool and the Prometheus server come with Debian's prometheus package, amtool and Alertmanager
# with prometheus-alertmanager; Zipkin is a jar;
# Jaeger (v2) is built once from the Go module proxy.
tools:
	@scripts/ensure-debian-packages.sh promtool:prometheus amtool:prometheus-alertmanager
	@scripts/fetch-zipkin.sh
	@scripts/build-jaeger.sh

# otelcol-agentos, built with ocb from collector/manifest.yaml (cached: rebuilt only when stale).
collector:
	@scripts/build-collector.sh

# Our own collector component's Go tests (config, lifecycle, chain, rotation, tampering).
go-test:
	cd collector/auditexporter && go test ./...

demo: venv tools collector
	$(PY) scripts/demo.py

test: venv tools collector go-test
	$(PY) -m pytest

# telemetrygen, the collector project's load generator (the newest version the module proxy serves).
TELEMETRYGEN_VERSION := v0.161.0
bench-tools:
	@test -x .tools/bin/telemetrygen || GOBIN=$(CURDIR)/.tools/bin go install \
		github.com/open-telemetry/opentelemetry-collector-contrib/cmd/telemetrygen@$(TELEMETRYGEN_VERSION)

# One virtualenv per peer instrumentation (OpenInference, OpenLLMetry, OpenLIT) under bench/.venvs,
# rebuilt only when bench/peers/*.txt change.
bench-peers: venv
	$(PY) bench/peers/setup_venvs.py

# All scenarios, interleaved rounds, every contender in a fresh process of its own venv: prints the
# tables and writes bench/results/latest.json. Of the tools it needs only Zipkin (the collector
# scenario exports to it), not Jaeger or Prometheus.
bench: venv collector bench-tools bench-peers
	@scripts/fetch-zipkin.sh
	$(PY) bench/run.py

# The older single-process scripts, each printing its own table.
bench-scripts: venv collector bench-tools
	@scripts/fetch-zipkin.sh
	$(PY) bench/redaction_bench.py
	$(PY) bench/agent_os_bench.py
	$(PY) bench/langchain_bench.py
	$(PY) bench/collector_bench.py

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis agent-os-otel.log .demo collector/_build
