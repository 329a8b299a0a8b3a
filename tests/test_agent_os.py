"""The Agent OS kernel (real agent-os-kernel from PyPI) under opentelemetry-instrument, no code change."""

import json
import re
import subprocess
import sys
from pathlib import Path

import cmvk
from prometheus_client.parser import text_string_to_metric_families

from agent_os_otel import catalogue as c
from agent_os_otel.audit import AuditLog
from tests.support.run import ROOT, clean_env, free_port, run_example, run_instrumented

SCENARIO = ROOT / "tests" / "programs" / "agent_os_scenario.py"


def samples(body: str) -> dict[str, list]:
    """Prometheus exposition -> {sample name: [(labels, value), ...]}, parsed by prometheus_client."""
    found: dict[str, list] = {}
    for family in text_string_to_metric_families(body):
        for sample in family.samples:
            found.setdefault(sample.name, []).append((sample.labels, sample.value))
    return found


def total(found: dict, name: str, **labels) -> float:
    return sum(value for sample_labels, value in found.get(name, [])
               if all(sample_labels.get(k) == v for k, v in labels.items()))


def attributes(span) -> dict:
    out = {}
    for kv in span.attributes:
        value = kv.value
        out[kv.key] = value.string_value or value.bool_value or value.int_value or value.double_value
    return out


def body_map(record) -> dict:
    return {kv.key: kv.value.string_value for kv in record.body.kvlist_value.values}


def run_scenario(tmp_path, receiver=None, **env):
    port = free_port()
    settings = dict(AGENT_OS_OTEL_PROMETHEUS_PORT=str(port), **env)
    if receiver is not None:
        settings["OTEL_EXPORTER_OTLP_ENDPOINT"] = receiver.endpoint
    url = f"http://127.0.0.1:{port}/metrics"
    run = run_instrumented(tmp_path, clean_env(**settings), program=SCENARIO, scrape=(url,))
    assert run.returncode == 0, run.stderr
    status, body = run.scrapes[url]
    assert status == 200, body
    return run, samples(body)


def test_scripted_scenario_spans_metrics_and_audit(tmp_path, receiver):
    run, found = run_scenario(tmp_path, receiver)
    facts = run.facts
    allowed, denied = facts["allowed"], facts["denied"]
    assert (allowed, denied) == (4, 3)

    # -- the span tree
    assert receiver.wait_for(lambda: len(receiver.spans()) >= 24)
    spans = receiver.spans()
    by_id = {s.span_id: s for s in spans}
    names = [s.name for s in spans]
    assert names.count("agent.execute") == allowed + denied
    assert names.count("policy.evaluate") == allowed + denied
    assert names.count("signal.dispatch") == 2  # the two denied syscalls (SIGPOLICY); stateless has no signals
    assert (names.count("memory.store"), names.count("memory.retrieve"), names.count("verification.check")) == (3, 2, 3)
    for policy in (s for s in spans if s.name == "policy.evaluate"):
        parent = by_id[policy.parent_span_id]
        assert parent.name == "agent.execute"
        assert attributes(parent)[c.ATTR_POLICY_DECISION] == attributes(policy)[c.ATTR_POLICY_DECISION]
    for signal in (s for s in spans if s.name == "signal.dispatch"):
        assert by_id[signal.parent_span_id].name == "agent.execute"
        assert attributes(signal)[c.ATTR_SIGNAL] == "SIGPOLICY"
    blocked = [s for s in spans if s.name == "agent.execute" and attributes(s).get(c.ATTR_BLOCKED)]
    assert len(blocked) == denied
    assert all(s.status.code == 2 for s in blocked)  # STATUS_CODE_ERROR
    exec_tool = next(s for s in spans if s.name == "agent.execute" and attributes(s).get(c.ATTR_GEN_AI_TOOL_NAME) == "echo")
    assert attributes(exec_tool)[c.ATTR_GEN_AI_OPERATION_NAME] == "execute_tool"

    # -- the metrics, read from /metrics
    assert total(found, "agent_os_actions_total") == allowed + denied
    assert total(found, "agent_os_actions_blocked_total") == denied
    assert total(found, "agent_os_violations_total") == denied
    assert total(found, "agent_os_policy_evaluations_total", agent_os_policy_decision="allow") == allowed
    assert total(found, "agent_os_policy_evaluations_total", agent_os_policy_decision="deny") == denied
    assert total(found, "agent_os_policy_evaluation_duration_seconds_count") == allowed + denied
    assert total(found, "agent_os_action_duration_seconds_count") == allowed + denied
    assert total(found, "agent_os_active_agents") == facts["active_agents"] == 2
    assert total(found, "agent_os_episodes_total") == 3
    assert total(found, "agent_os_memory_size_bytes") == facts["memory_bytes"]
    assert total(found, "agent_os_retrieval_duration_seconds_count") == 2
    assert total(found, "agent_os_verifications_total") == 3
    assert total(found, "agent_os_verification_failures_total") == sum(facts["failed"])
    assert total(found, "agent_os_drift_score_count") == 3
    assert abs(total(found, "agent_os_drift_score_sum") - sum(facts["drift"])) < 1e-9
    assert facts["drift"] == [cmvk.verify(a, b).drift_score for a, b in
                              [("a b c", "a b c"), ("a b c", "a b d"), ("def f(x): return x", "SELECT * FROM users")]]
    assert total(found, "agent_os_policy_cache_hits_total") == 0  # the kernel has no decision cache

    # -- exactly one audit record per decision, with DESIGN.md's fields, in the span that decided
    assert receiver.wait_for(lambda: len([r for r in receiver.log_records() if r.event_name == c.AUDIT_EVENT_NAME])
                             >= allowed + denied)
    records = [r for r in receiver.log_records() if r.event_name == c.AUDIT_EVENT_NAME]
    assert len(records) == allowed + denied
    bodies = [body_map(r) for r in records]
    assert all(set(c.AUDIT_FIELDS) <= set(b) for b in bodies)
    assert sorted(b["decision"] for b in bodies) == ["allow"] * allowed + ["deny"] * denied
    policy_spans = {s.span_id.hex(): s for s in spans if s.name == "policy.evaluate"}
    assert {b["span_id"] for b in bodies} == set(policy_spans)
    deny = next(b for b in bodies if b["agent_id"] == "bob")
    assert (deny["action"], deny["rule_id"]) == ("shell", "policy_engine.allowlist")
    assert deny["reason"] == "Role bob cannot use tool shell"


def test_fifty_concurrent_agents_keep_their_parents(tmp_path, receiver):
    run, found = run_scenario(tmp_path, receiver, AGENT_OS_SCENARIO_AGENTS="50")
    assert receiver.wait_for(lambda: sum(s.name == "policy.evaluate" for s in receiver.spans()) >= 100)
    spans = receiver.spans()
    by_id = {s.span_id: s for s in spans}
    policies = [s for s in spans if s.name == "policy.evaluate"]
    assert len(policies) == 100
    for policy in policies:
        parent = by_id[policy.parent_span_id]
        assert parent.name == "agent.execute"
        assert attributes(parent)[c.ATTR_AGENT_ID] == attributes(policy)[c.ATTR_AGENT_ID]
        assert parent.trace_id == policy.trace_id
    assert total(found, "agent_os_actions_blocked_total") == 50
    assert total(found, "agent_os_active_agents") == 50


def test_embedded_run_writes_the_local_audit_file_and_query_reads_it(tmp_path):
    run, _ = run_scenario(tmp_path)
    assert "audit -> agent-os-audit.jsonl" in run.startup_line()
    log = AuditLog(tmp_path / "agent-os-audit.jsonl")
    assert len(list(log.records())) == 7
    denied = log.query(decision="deny", time_range="last_24h", limit=100)
    assert len(denied) == 3 and {r["agent_id"] for r in denied} == {"bob", "carol", "dave"}
    assert len(log.query(decision="allow", limit=2)) == 2
    cli = subprocess.run([str(Path(sys.executable).parent / "agent-os-otel"), "audit", "query", "--decision", "deny",
                          "--since", "24h", "--limit", "100", "--json"], cwd=tmp_path, capture_output=True, text=True)
    assert cli.returncode == 0, cli.stderr
    assert [json.loads(line)["agent_id"] for line in cli.stdout.splitlines()] == [r["agent_id"] for r in denied]


BURST = """
import sys
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from agent_os_otel import audit
trace.set_tracer_provider(TracerProvider())
audit.enable_local_file(sys.argv[1])
with trace.get_tracer("burst").start_as_current_span("decide") as span:
    for n in range(5000):
        audit.record_decision(agent_id=f"agent-{n}", action="search", resource=f"doc-{n}", decision="allow",
                              reason="key sk-proj-Q7fK2mZx9LpV4tR8sN3bW6yH1cJ5dG0eXa" if n == 7 else "", rule_id="r")
    print(format(span.get_span_context().trace_id, "032x"))
    if sys.argv[2] == "flush":
        audit.flush()
        print(sum(1 for _ in open(sys.argv[1])))
"""


def test_a_burst_of_decisions_is_written_whole_redacted_and_in_order(tmp_path):
    """The local file's writer batches: after audit.flush(), or at exit without one, every record is there."""
    for ending in ("flush", "exit"):
        path = tmp_path / f"{ending}.jsonl"
        done = subprocess.run([sys.executable, "-c", BURST, str(path), ending], capture_output=True, text=True,
                              env=clean_env())
        assert done.returncode == 0, done.stderr
        lines = done.stdout.split()
        if ending == "flush":
            assert lines[1] == "5000"  # all on disk when flush() returned, before exit
        records = list(AuditLog(path).records())
        assert [r["agent_id"] for r in records] == [f"agent-{n}" for n in range(5000)]
        assert {r["trace_id"] for r in records} == {lines[0]}
        assert records[7]["reason"] == "key [REDACTED:openai_key]" and "sk-proj" not in path.read_text()


def test_audit_query_rejects_bad_arguments_clearly(tmp_path):
    (tmp_path / "a.jsonl").write_text('{"decision": "deny", "timestamp": "2026-01-01T00:00:00.000Z"}\nnot json\n')
    log = AuditLog(tmp_path / "a.jsonl")
    for bad, message in (({"decision": "maybe"}, "decision='maybe' is not valid"),
                         ({"limit": 0}, "limit=0 is not valid"),
                         ({"time_range": "yesterday"}, "time_range='yesterday' is not understood")):
        try:
            log.query(**bad)
        except ValueError as exc:
            assert message in str(exc) and "Fix:" in str(exc)
        else:
            raise AssertionError(f"{bad} was accepted")
    assert len(log.query()) == 1 and log.skipped == [f"{tmp_path / 'a.jsonl'}:2: not JSON (Expecting value)"]
    agent_os_otel = str(Path(sys.executable).parent / "agent-os-otel")
    cli = subprocess.run([agent_os_otel, "audit", "query", "--since", "yesterday"], cwd=tmp_path,
                         capture_output=True, text=True)
    assert cli.returncode == 2 and "argument --since: 'yesterday' is not a time window" in cli.stderr


def test_example_under_opentelemetry_instrument_shows_the_whole_catalogue(tmp_path):
    run, metrics = run_example(tmp_path, "agent_os_agent.py", "agent_os_verifications_total")
    span_names = set(re.findall(r"^\[span\] (\S+)", run.stderr, re.M))
    assert span_names == {c.SPAN_AGENT_EXECUTE, c.SPAN_POLICY_EVALUATE, c.SPAN_MEMORY_STORE, c.SPAN_MEMORY_RETRIEVE,
                          c.SPAN_VERIFICATION_CHECK, c.SPAN_SIGNAL_DISPATCH}
    found = samples(metrics)
    from tests.test_metrics import PROMETHEUS_NAMES
    agent_os_names = [name for otel, name in PROMETHEUS_NAMES.items() if otel.startswith("agent_os.")]
    assert len(agent_os_names) == 14
    missing = [name for name in agent_os_names
               if not any(sample == name or sample.startswith(name + "_") for sample in found)]
    assert missing == []
    assert len(AuditLog(tmp_path / "agent-os-audit.jsonl").query(decision="deny")) == 2
