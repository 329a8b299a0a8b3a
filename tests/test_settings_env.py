"""Every AGENT_OS_OTEL_* variable: a valid value takes effect, an invalid one gives one clear line."""

import json

import pytest

from agent_os_otel import catalogue
from tests.support.run import Run, clean_env, free_port, run_instrumented

SECRET = "sk-proj-EXAMPLEexampleEXAMPLE0123456789abcdef"


def metrics_url(port, path="/metrics", host="127.0.0.1"):
    return f"http://{host}:{port}{path}"


def scraped(run: Run, port, path="/metrics", host="127.0.0.1") -> str:
    status, body = run.scrapes[metrics_url(port, path, host)]
    assert status == 200, body
    return body


def series(body: str, name: str) -> list[str]:
    return [line for line in body.splitlines() if line.startswith(name + "{") or line.startswith(name + " ")]


# variable -> (valid value, extra env, urls to scrape(port), check(run, port, tmp_path), invalid value)
CASES = {
    "AGENT_OS_OTEL_SERVICE_NAME": ("billing-agent", {}, None,
                                   lambda run, port, tmp: run.facts["service_name"] == "billing-agent", None),
    "AGENT_OS_OTEL_PROMETHEUS_ENABLED": (
        "false", {}, lambda port: (metrics_url(port),),
        lambda run, port, tmp: run.scrapes[metrics_url(port)][0] == 0 and "metrics -> off" in run.startup_line(),
        "maybe"),
    "AGENT_OS_OTEL_PROMETHEUS_HOST": (
        "127.0.0.2", {}, lambda port: (metrics_url(port, host="127.0.0.2"),),
        lambda run, port, tmp: "agent_os_actions_total" in scraped(run, port, host="127.0.0.2"),
        "no such host!"),
    "AGENT_OS_OTEL_PROMETHEUS_PORT": (
        None, {}, lambda port: (metrics_url(port),),
        lambda run, port, tmp: "agent_os_actions_total" in scraped(run, port), "99999"),
    "AGENT_OS_OTEL_PROMETHEUS_PATH": (
        "/agent-metrics", {}, lambda port: (metrics_url(port, "/agent-metrics"), metrics_url(port)),
        lambda run, port, tmp: "agent_os_actions_total" in scraped(run, port, "/agent-metrics")
        and run.scrapes[metrics_url(port)][0] == 404,
        "metrics"),
    "AGENT_OS_OTEL_METRICS_NAMESPACE": (
        "team_a", {}, lambda port: (metrics_url(port),),
        lambda run, port, tmp: series(scraped(run, port), "team_a_agent_os_actions_total")
        and not series(scraped(run, port), "agent_os_actions_total"),
        "9-bad"),
    "AGENT_OS_OTEL_METRICS_LABELS": (
        "team=search, env=prod", {}, lambda port: (metrics_url(port),),
        lambda run, port, tmp: all('team="search"' in line and 'env="prod"' in line
                                   for line in series(scraped(run, port), "agent_os_actions_total")),
        "team"),
    "AGENT_OS_OTEL_METRICS_PROCESS": (
        "false", {}, lambda port: (metrics_url(port),),
        lambda run, port, tmp: "process_cpu_seconds_total" not in scraped(run, port)
        and "agent_os_actions_total" in scraped(run, port),
        "sometimes"),
    "AGENT_OS_OTEL_METRICS_PYTHON": (
        "false", {}, lambda port: (metrics_url(port),),
        lambda run, port, tmp: "python_info" not in scraped(run, port) and "agent_os_actions_total" in scraped(run, port),
        "sometimes"),
    "AGENT_OS_OTEL_LOG_LEVEL": (
        "debug", {}, None,
        lambda run, port, tmp: any(r["message"] == "debug detail" for r in run.json_logs()), "LOUD"),
    "AGENT_OS_OTEL_LOG_FORMAT": (
        "text", {}, None,
        lambda run, port, tmp: not run.json_logs() and " INFO " in run.stdout and "policy checked" in run.stdout,
        "xml"),
    "AGENT_OS_OTEL_LOG_OUTPUT": (
        "file", {}, None,
        lambda run, port, tmp: "policy checked" not in run.stdout
        and "policy checked" in (tmp / "agent-os-otel.log").read_text(),
        "printer"),
    "AGENT_OS_OTEL_LOG_FILE": (
        "custom.log", {"AGENT_OS_OTEL_LOG_OUTPUT": "file"}, None,
        lambda run, port, tmp: "policy checked" in (tmp / "custom.log").read_text(),
        "/no/such/dir/agent.log"),
    "AGENT_OS_OTEL_LOG_TRACE_IDS": (
        "false", {}, None,
        lambda run, port, tmp: run.json_logs() and not any("trace_id" in r for r in run.json_logs()), "perhaps"),
    "AGENT_OS_OTEL_REDACTION_ENABLED": (
        "false", {"AGENT_TEST_PLANT": json.dumps([SECRET])}, None,
        lambda run, port, tmp: SECRET in run.stdout, "nah"),
    "AGENT_OS_OTEL_REDACTION_PATTERNS": (
        '["acct-[0-9]{8}"]', {"AGENT_TEST_PLANT": json.dumps(["account acct-12345678 charged"])}, None,
        lambda run, port, tmp: "acct-12345678" not in run.stdout + run.stderr and "account" in run.stdout,
        "(unclosed"),
    "AGENT_OS_OTEL_AUDIT_FILE": (
        "decisions.jsonl", {"AGENT_TEST_DECIDE": "1"}, None,
        lambda run, port, tmp: '"decision": "deny"' in (tmp / "decisions.jsonl").read_text()
        and "audit -> decisions.jsonl" in run.startup_line(),
        "/no/such/dir/audit.jsonl"),
    "AGENT_OS_OTEL_GENAI_CONTENT_MAX_LENGTH": (
        "12", {"AGENT_TEST_CHAT": "1", "AGENT_TEST_PLANT": json.dumps(["a" * 40]),
               "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT": "SPAN_ONLY"}, None,
        lambda run, port, tmp: '"aaaaaaaaaaaa...[truncated 28 chars]"'
        in run.facts["chat_spans"][0]["attrs"]["gen_ai.input.messages"],
        "-3"),
    # Nobody else registers "langchain" here, so yielding it changes nothing: ours still records the call.
    # What yielding does when another vendor is installed is in test_stacking.py.
    "AGENT_OS_OTEL_YIELD_INSTRUMENTATIONS": (
        "langchain", {"AGENT_TEST_CHAT": "1"}, None,
        lambda run, port, tmp: [s["scope"] for s in run.facts["chat_spans"]] == ["agent_os_otel.langchain"],
        "open ai!"),
}


def test_every_variable_is_covered():
    assert set(CASES) == {s.env for s in catalogue.SETTINGS}


def _run(tmp_path, variable, value, extra, urls):
    port = free_port()
    env = clean_env(AGENT_OS_OTEL_PROMETHEUS_PORT=str(port), **extra)
    env[variable] = str(port) if value is None else value  # None: the port itself is the value under test
    return run_instrumented(tmp_path, env, scrape=urls(port) if urls else ()), port


@pytest.mark.parametrize("variable", sorted(CASES))
def test_valid_value_takes_effect(tmp_path, variable):
    value, extra, urls, check, _ = CASES[variable]
    run, port = _run(tmp_path, variable, value, extra, urls)
    assert run.returncode == 0, run.stderr
    assert not run.errors(), run.errors()
    assert check(run, port, tmp_path), f"{variable}={value!r} had no visible effect\n{run.stdout}\n{run.stderr}"


@pytest.mark.parametrize("variable", sorted(v for v, case in CASES.items() if case[4] is not None))
def test_invalid_value_gives_one_clear_line_and_the_program_still_runs(tmp_path, variable):
    _, extra, _, _, invalid = CASES[variable]
    run, _ = _run(tmp_path, variable, invalid, extra, None)
    assert run.returncode == 0, run.stderr
    lines = [line for line in run.stderr.splitlines() if variable in line and "Fix:" in line]
    assert len(lines) == 1, run.stderr
    assert "Traceback" not in run.stderr
    # nothing lost: the program's log lines still come out (on stdout, or in the file it could open),
    # and audit records land in the default file
    assert "policy checked" in run.stdout or "policy checked" in (tmp_path / "agent-os-otel.log").read_text()
    if "AGENT_TEST_DECIDE" in extra:
        assert '"decision": "deny"' in (tmp_path / "agent-os-audit.jsonl").read_text()
