"""The whole path, real parts only: the Agent OS example under opentelemetry-instrument -> our
collector (built from collector/manifest.yaml) -> a Zipkin server, a Prometheus server scraping the
collector, the chained audit file and the log file. Read back from each backend's own API."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from agent_os_otel.audit import AuditLog, verify_files
from scripts.local_stack import Collector, Jaeger, Prometheus, Zipkin, http_get, wait_until
from tests.support.run import ROOT, clean_env, run_instrumented

EXAMPLE = ROOT / "examples" / "agent_os_agent.py"
SERVICE = "agent-os-e2e"
AUDIT_KEY = "e2e-audit-key"


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("stack")
    zipkin, jaeger = Zipkin(workdir), Jaeger(workdir)
    zipkin.start()
    jaeger.start()
    collector = Collector(workdir, AUDIT_KEY, zipkin_url=f"{zipkin.url}/api/v2/spans", jaeger_endpoint=jaeger.otlp)
    collector.start()
    prometheus = Prometheus(workdir, [f"127.0.0.1:{collector.prometheus}"])
    prometheus.start()
    run = run_instrumented(workdir, clean_env(OTEL_EXPORTER_OTLP_ENDPOINT=collector.otlp, OTEL_SERVICE_NAME=SERVICE,
                                              OTEL_METRIC_EXPORT_INTERVAL="1000", AGENT_OS_OTEL_PROMETHEUS_PORT="0"),
                           program=EXAMPLE)
    assert run.returncode == 0, run.stderr
    try:
        yield {"zipkin": zipkin, "jaeger": jaeger, "collector": collector, "prometheus": prometheus, "run": run,
               "workdir": workdir}
    finally:
        for process in (prometheus, collector, jaeger, zipkin):
            process.stop()


def test_zipkin_has_the_trace_tree(stack):
    zipkin = stack["zipkin"]
    wait_until(lambda: any(len(t) >= 3 for t in zipkin.traces(SERVICE)), 30, "traces in Zipkin")
    denied = None
    for trace in zipkin.traces(SERVICE):
        names = {span["name"] for span in trace}
        if {"agent.execute", "policy.evaluate", "signal.dispatch"} <= names:
            denied = trace
    assert denied is not None, "no trace with agent.execute -> policy.evaluate + signal.dispatch"
    root = next(s for s in denied if s["name"] == "agent.execute")
    children = {s["name"] for s in denied if s.get("parentId") == root["id"]}
    assert children == {"policy.evaluate", "signal.dispatch"}
    assert root["tags"]["agent_os.blocked"] == "true" and root["tags"]["agent_os.agent.id"] == "intern"


def test_jaeger_has_the_trace_tree_over_otlp(stack):
    jaeger = stack["jaeger"]
    wait_until(lambda: len(jaeger.traces(SERVICE)) >= 9, 30, "traces in Jaeger")
    denied = None
    for trace in jaeger.traces(SERVICE):
        names = {span["operationName"] for span in trace["spans"]}
        if {"agent.execute", "policy.evaluate", "signal.dispatch"} <= names:
            denied = trace
    assert denied is not None, "no trace with agent.execute -> policy.evaluate + signal.dispatch in Jaeger"
    root = next(s for s in denied["spans"] if s["operationName"] == "agent.execute")
    children = {s["operationName"] for s in denied["spans"]
                if any(r["spanID"] == root["spanID"] for r in s.get("references", []))}
    assert children == {"policy.evaluate", "signal.dispatch"}
    tags = {t["key"]: t["value"] for t in root["tags"]}
    assert tags["agent_os.blocked"] is True and tags["agent_os.agent.id"] == "intern"


def test_prometheus_reads_the_catalogue_from_the_collector(stack):
    prometheus = stack["prometheus"]
    expected = {  # the example's script: 9 actions, 2 refused, 2 episodes, 2 verifications (1 fails)
        "sum(agent_os_actions_total)": 9, "sum(agent_os_actions_blocked_total)": 2,
        "sum(agent_os_violations_total)": 2, "sum(agent_os_policy_evaluations_total)": 9,
        "sum(agent_os_episodes_total)": 2, "sum(agent_os_verifications_total)": 2,
        "sum(agent_os_verification_failures_total)": 1, "sum(agent_os_active_agents)": 2,
        "sum(agent_os_policy_cache_hits_total)": 0, "sum(agent_os_action_duration_seconds_count)": 9,
        "sum(agent_os_drift_score_count)": 2,
    }
    wait_until(lambda: prometheus.value("sum(agent_os_actions_total)") == 9, 60, "agent_os metrics in Prometheus")
    wait_until(lambda: all(prometheus.value(q) == v for q, v in expected.items()), 30, "all catalogue values")
    assert {q: prometheus.value(q) for q in expected} == expected


def test_every_decision_once_in_the_audit_file_and_the_chain_verifies(stack):
    collector = stack["collector"]
    wait_until(lambda: collector.audit_path.exists() and len(collector.audit_path.read_text().splitlines()) >= 9,
               30, "9 audit records")
    records = [json.loads(line) for line in collector.audit_path.read_text().splitlines()]
    assert len(records) == 9 and len({r["id"] for r in records}) == 9
    assert sorted(r["decision"] for r in records) == ["allow"] * 7 + ["deny"] * 2
    assert verify_files([collector.audit_path], AUDIT_KEY.encode()).ok
    cli = subprocess.run([str(Path(sys.executable).parent / "agent-os-otel"), "audit", "verify",
                          str(collector.audit_path), "--key-env", "AGENTOS_AUDIT_KEY"],
                         env={**os.environ, "AGENTOS_AUDIT_KEY": AUDIT_KEY}, capture_output=True, text=True)
    assert cli.returncode == 0 and cli.stdout.startswith("OK: 9 records"), cli.stdout + cli.stderr
    assert len(AuditLog(collector.audit_path).query(decision="deny")) == 2
    wait_until(lambda: collector.log_path.exists() and "researcher found" in collector.log_path.read_text(), 30,
               "the agent's log lines in the log file")  # the file exporter flushes every second
    assert "agent_os.audit" not in collector.log_path.read_text()  # audit records are routed apart


SEND_AUDIT = """
import sys
from agent_os_otel import audit, configure_logging, logs
configure_logging(exporter="otlp", endpoint=sys.argv[1], output="none")
for n in range(int(sys.argv[2])):
    audit.record_decision(agent_id=f"agent-{n % 7}", action="search", resource=f"doc-{n}",
                          decision="deny" if n % 3 == 0 else "allow", reason="", rule_id="r")
logs.force_flush()
print("ACKED")
"""


def trail_files(audit_path: Path) -> list[Path]:
    """The rotated files and the active one (verify_files puts them in chain order)."""
    return sorted(audit_path.parent.glob(audit_path.stem + "-*" + audit_path.suffix)) + [audit_path]


def count_records(audit_path: Path) -> int:
    return sum(len(p.read_text().splitlines()) for p in trail_files(audit_path) if p.exists())


def test_kill_9_with_records_queued_loses_and_duplicates_nothing(tmp_path):
    sent = 3000
    script = tmp_path / "send.py"
    script.write_text(SEND_AUDIT)
    # a rotation every ~20 records keeps the single writer busy, so records are still queued at the kill
    small_files = {"AGENTOS_AUDIT_MAX_SIZE_BYTES": "8192"}
    collector = Collector(tmp_path, AUDIT_KEY, **small_files)
    collector.start()
    try:
        result = subprocess.run([sys.executable, str(script), collector.otlp, str(sent)], capture_output=True,
                                text=True, env=clean_env(), timeout=120)
        assert result.stdout.strip() == "ACKED", result.stderr
        collector.kill()  # kill -9 right after the last acknowledgement
    finally:
        collector.kill()
    written_before = count_records(collector.audit_path)
    assert written_before < sent, "nothing was left in the queue at the kill: the test proves nothing"
    restarted = Collector(tmp_path, AUDIT_KEY, **small_files)
    restarted.start()
    try:
        wait_until(lambda: count_records(restarted.audit_path) >= sent, 90,
                   f"{sent} audit records after the restart", restarted.log)
    finally:
        restarted.stop()
    files = trail_files(restarted.audit_path)
    records = [json.loads(line) for path in files for line in path.read_text().splitlines()]
    assert len(records) == sent and len({r["resource"] for r in records}) == sent  # none lost, none twice
    assert len(files) > 2, "the trail rotated"
    verdict = verify_files(files, AUDIT_KEY.encode(), expect_last_seq=sent)
    assert verdict.ok, str(verdict)
    assert len(AuditLog(restarted.audit_path).query(decision="deny", limit=5000)) == 1000  # rotated files too


def test_collector_alone_catches_secrets_when_python_redaction_is_off(stack, secrets_corpus):
    kinds_wanted = ("openai_key", "aws_access_key", "github_token", "jwt", "bearer", "url_password", "slack_token",
                    "google_api_key", "private_key")
    planted = [next(e for e in secrets_corpus if e["kind"] == kind) for kind in kinds_wanted]
    collector, zipkin = stack["collector"], stack["zipkin"]
    run = run_instrumented(stack["workdir"], clean_env(
        OTEL_EXPORTER_OTLP_ENDPOINT=collector.otlp, OTEL_SERVICE_NAME="leaky-agent", AGENT_OS_OTEL_PROMETHEUS_PORT="0",
        OTEL_METRIC_EXPORT_INTERVAL="1000", AGENT_OS_OTEL_REDACTION_ENABLED="false", AGENT_TEST_DECIDE="1",
        AGENT_TEST_PLANT=json.dumps([e["text"] for e in planted])))
    assert run.returncode == 0, run.stderr
    assert planted[0]["secret"] in run.stdout, "Python redaction is off: the secret must reach the collector"
    wait_until(lambda: zipkin.traces("leaky-agent"), 30, "the leaky agent's trace in Zipkin")
    wait_until(lambda: '"agent_id":"t"' in collector.audit_path.read_text(), 30, "its audit record")
    wait_until(lambda: "tool said" in collector.log_path.read_text(), 30, "its log lines")
    sinks = {
        "zipkin": json.dumps(zipkin.traces("leaky-agent")),
        "prometheus": http_get(f"http://127.0.0.1:{collector.prometheus}/metrics")[1],
        "audit file": collector.audit_path.read_text(),
        "log file": collector.log_path.read_text(),
    }
    assert "[REDACTED" in sinks["zipkin"] and "[REDACTED" in sinks["log file"] and "[REDACTED" in sinks["audit file"]
    def forms(secret):  # as written raw, and as JSON escapes it (a PEM block's newlines)
        return {secret, json.dumps(secret)[1:-1], json.dumps(secret, ensure_ascii=False)[1:-1]}

    leaks = [(sink, e["kind"]) for e in planted for sink, text in sinks.items()
             if any(form in text for form in forms(e["secret"]))]
    assert leaks == []
