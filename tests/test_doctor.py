"""`agent-os-otel doctor`: the effective configuration, its sources, endpoints, instrumentors."""

import json
import subprocess
import sys
from pathlib import Path

from tests.support.run import clean_env, free_port

DOCTOR = [str(Path(sys.executable).parent / "agent-os-otel"), "doctor"]


def doctor(tmp_path, *args, **env):
    return subprocess.run([*DOCTOR, *args], cwd=tmp_path, env=clean_env(**env), capture_output=True, text=True)


def test_healthy_setup_exits_zero_and_shows_sources(tmp_path):
    (tmp_path / "cfg.yaml").write_text("logging: {format: text}\n")
    result = doctor(tmp_path, "--json", AGENT_OS_OTEL_CONFIG=str(tmp_path / "cfg.yaml"),
                    AGENT_OS_OTEL_PROMETHEUS_PORT="9555")
    assert result.returncode == 0, result.stdout + result.stderr
    report = json.loads(result.stdout)
    rows = {row["env"]: row for row in report["settings"]}
    assert (rows["AGENT_OS_OTEL_LOG_FORMAT"]["value"], rows["AGENT_OS_OTEL_LOG_FORMAT"]["source"]) == ("text", "file")
    assert (rows["AGENT_OS_OTEL_PROMETHEUS_PORT"]["value"], rows["AGENT_OS_OTEL_PROMETHEUS_PORT"]["source"]) == (
        9555, "env")
    assert rows["AGENT_OS_OTEL_LOG_LEVEL"]["source"] == "default"
    assert report["mode"].startswith("embedded")
    assert report["exporters"] == {"traces": "agent_os_console", "metrics": "none", "logs": "none"}
    assert report["problems"] == []


def test_broken_setting_exits_nonzero_naming_it(tmp_path):
    result = doctor(tmp_path, AGENT_OS_OTEL_LOG_OUTPUT="printer", OTEL_TRACES_EXPORTER="carrier-pigeon")
    assert result.returncode == 1
    assert "AGENT_OS_OTEL_LOG_OUTPUT='printer' is invalid" in result.stdout
    assert "OTEL_TRACES_EXPORTER: exporter 'carrier-pigeon' is not installed" in result.stdout
    assert "2 problem(s) found" in result.stderr


def test_reports_whether_the_collector_answers(tmp_path, receiver):
    up = doctor(tmp_path, "--json", OTEL_EXPORTER_OTLP_ENDPOINT=receiver.endpoint)
    report = json.loads(up.stdout)
    assert report["mode"].startswith("collector")
    assert {e["status"] for e in report["endpoints"] if e["what"].startswith("OTLP")} == {"answers"}
    down = doctor(tmp_path, OTEL_EXPORTER_OTLP_ENDPOINT=f"http://127.0.0.1:{free_port()}")
    assert down.returncode == 0  # a collector that is down is a warning, not a broken setting
    assert "does not answer" in down.stdout and "is the collector running?" in down.stdout


def test_lists_instrumentors_and_frameworks(tmp_path, extra_packages):
    result = doctor(tmp_path, "--json", PYTHONPATH=str(extra_packages))
    report = json.loads(result.stdout)
    status = {row["name"]: row["status"] for row in report["instrumentors"]}
    assert status["requests"] == "active"
    assert status["agent_os"] == "active"  # ours, with agent-os-kernel installed
    assert status["pymongo"].startswith("inactive") and "pymongo" in status["pymongo"]
    assert {"openai", "agent-os-kernel"} <= {f["name"] for f in report["frameworks"]}
    disabled = json.loads(doctor(tmp_path, "--json", PYTHONPATH=str(extra_packages),
                                 OTEL_PYTHON_DISABLED_INSTRUMENTATIONS="requests").stdout)
    assert {r["name"]: r["status"] for r in disabled["instrumentors"]}["requests"].startswith("disabled")
