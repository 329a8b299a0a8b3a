"""The less-travelled hook points: evaluator, framework-adapter checks and events, causal memory,
batch verification, FlightRecorder correlation. Real agent-os-kernel objects, in-memory exporters."""

import json
import textwrap

from tests.support.run import run_python

SETUP = """
import asyncio, json, os, tempfile
from opentelemetry import trace, _logs, metrics
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.sdk._logs import LoggerProvider
from opentelemetry.sdk._logs.export import InMemoryLogRecordExporter, SimpleLogRecordProcessor
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
spans, records, reader = InMemorySpanExporter(), InMemoryLogRecordExporter(), InMemoryMetricReader()
tp = TracerProvider(); tp.add_span_processor(SimpleSpanProcessor(spans)); trace.set_tracer_provider(tp)
lp = LoggerProvider(); lp.add_log_record_processor(SimpleLogRecordProcessor(records)); _logs.set_logger_provider(lp)
metrics.set_meter_provider(MeterProvider(metric_readers=[reader]))
from agent_os_otel.instrumentation.agent_os import AgentOsInstrumentor
AgentOsInstrumentor().instrument()

def report():
    values = {}
    for rm in reader.get_metrics_data().resource_metrics:
        for sm in rm.scope_metrics:
            for m in sm.metrics:
                values[m.name] = sum(getattr(p, "value", getattr(p, "count", 0)) for p in m.data.data_points)
    print(json.dumps({
        "spans": [{"name": s.name, "id": s.context.span_id, "parent": s.parent.span_id if s.parent else None,
                   "attrs": dict(s.attributes), "events": [e.name for e in s.events]} for s in spans.get_finished_spans()],
        "audit": [dict(r.log_record.body) for r in records.get_finished_logs() if r.log_record.event_name == "agent_os.audit"],
        "metrics": values,
    }, default=str))
"""


def run(tmp_path, body) -> dict:
    result = run_python(tmp_path, SETUP + textwrap.dedent(body) + "\nreport()\n")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_integration_checks_and_their_events_give_one_record_per_decision(tmp_path):
    out = run(tmp_path, """
        from agent_os.integrations.base import BaseIntegration, GovernancePolicy
        from agent_os.policies.evaluator import PolicyEvaluator
        from agent_os.policies.schema import PolicyAction, PolicyCondition, PolicyDocument, PolicyOperator, PolicyRule
        class MiniKernel(BaseIntegration):
            def wrap(self, agent): return agent
            def unwrap(self, governed_agent): return governed_agent
        kernel = MiniKernel(policy=GovernancePolicy(blocked_patterns=["DROP TABLE"]))
        ctx = kernel.create_context("agent-1")
        kernel.pre_execute_check(ctx, {"tool_name": "search"})
        kernel.pre_execute_check(ctx, "please DROP TABLE users")
        evaluator = PolicyEvaluator(policies=[PolicyDocument(name="p", rules=[PolicyRule(name="no-shell",
            condition=PolicyCondition(field="tool_name", operator=PolicyOperator.EQ, value="shell"),
            action=PolicyAction.DENY, priority=10, message="shell is forbidden")])])
        evaluator.evaluate({"tool_name": "shell", "agent_id": "agent-2"})
    """)
    policy = [s for s in out["spans"] if s["name"] == "policy.evaluate"]
    assert [s["attrs"]["agent_os.policy.decision"] for s in policy] == ["allow", "deny", "deny"]
    assert "agent_os.governance.tool_call_blocked" in policy[1]["events"]
    assert policy[2]["attrs"]["agent_os.policy.rule"] == "no-shell"
    assert [(r["agent_id"], r["decision"]) for r in out["audit"]] == [
        ("agent-1", "allow"), ("agent-1", "deny"), ("agent-2", "deny")]
    assert out["audit"][2]["reason"] == "shell is forbidden"
    assert out["metrics"]["agent_os.policy.evaluations"] == 3 and out["metrics"]["agent_os.violations"] == 2


def test_causal_memory_batch_verification_and_flight_recorder_ids(tmp_path):
    out = run(tmp_path, """
        import cmvk
        from emk import CausalEpisode, CausalMemoryStore
        from agent_control_plane.flight_recorder import FlightRecorder
        from agent_control_plane.kernel_space import KernelSpace, SyscallRequest, SyscallType
        from agent_control_plane.policy_engine import PolicyEngine
        store = CausalMemoryStore()
        first = CausalEpisode(action="plan", agent_id="a1")
        store.record(first); store.record(CausalEpisode(action="act", caused_by=first.episode_id, agent_id="a1"))
        store.get_causal_chain(first.episode_id)
        cmvk.verify_batch(["a b c", "1 2 3"], ["a b d", "4 5 6"])
        recorder = FlightRecorder(db_path=os.path.join(tempfile.mkdtemp(), "fr.db"), enable_batching=False)
        engine = PolicyEngine(); engine.add_constraint("a1", ["file_write"])
        kernel = KernelSpace(policy_engine=engine, flight_recorder=recorder)
        ctx = kernel.create_agent_context("a1")
        asyncio.run(kernel.syscall(SyscallRequest(SyscallType.SYS_WRITE, {"path": "/mem/working/x", "data": "y"}), ctx))
    """)
    names = [s["name"] for s in out["spans"]]
    assert names.count("memory.store") == 2 and names.count("memory.retrieve") == 1
    assert names.count("verification.check") == 1  # verify_batch calls verify itself: one span
    assert out["metrics"]["agent_os.verifications"] == 2
    assert out["metrics"]["agent_os.episodes"] == 2 and out["metrics"]["agent_os.memory.size"] > 0
    execute = next(s for s in out["spans"] if s["name"] == "agent.execute")
    flight_id = execute["attrs"]["agent_os.flight_recorder.trace_id"]
    assert len(flight_id) == 36  # the recorder's uuid, to join its SQLite rows with our trace
    assert out["audit"][0]["context"]["flight_recorder_trace_id"] == flight_id


def test_framework_adapters_own_tool_checks_are_decisions_too(tmp_path):
    """LangChain's and the OpenAI Agents SDK's adapters check tool allow/block lists without going
    through pre_execute_check; each check still gives one span and one audit record."""
    out = run(tmp_path, """
        from agent_os.integrations.base import GovernancePolicy
        from agent_os.integrations.langchain_adapter import LangChainKernel, PolicyViolationError
        from agent_os.integrations.openai_agents_sdk import OpenAIAgentsKernel
        lc = LangChainKernel(policy=GovernancePolicy(allowed_tools=["search"]))
        ctx = lc.create_context("lc-agent")
        lc._check_tool_policy("search", ({"q": "x"},), {}, ctx)
        try:
            lc._check_tool_policy("shell", ({"cmd": "ls"},), {}, ctx)
        except PolicyViolationError:
            pass
        oa = OpenAIAgentsKernel(policy=GovernancePolicy(allowed_tools=["search"]))
        oa._check_tool_allowed("search")
        oa._check_tool_allowed("delete_everything")
    """)
    decisions = [(r["agent_id"], r["action"], r["decision"], r["rule_id"]) for r in out["audit"]]
    assert decisions == [("lc-agent", "search", "allow", "tool_policy"),
                         ("lc-agent", "shell", "deny", "tool_policy.allowlist"),
                         ("", "search", "allow", "tool_policy"),
                         ("", "delete_everything", "deny", "tool_policy.allowlist")]
    spans = [s for s in out["spans"] if s["name"] == "policy.evaluate"]
    assert [s["attrs"]["agent_os.policy.decision"] for s in spans] == ["allow", "deny", "allow", "deny"]
    assert out["metrics"]["agent_os.violations"] == 2


def test_spans_go_to_the_tracer_provider_given_to_instrument(tmp_path):
    """instrument(tracer_provider=...), as contrib instrumentors take it: the global provider gets nothing."""
    body = """
    from opentelemetry import trace
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
    from agent_control_plane.policy_engine import PolicyEngine
    from agent_os_otel.instrumentation.agent_os import AgentOsInstrumentor
    own = InMemorySpanExporter()
    provider = TracerProvider(); provider.add_span_processor(SimpleSpanProcessor(own))
    AgentOsInstrumentor().uninstrument()
    AgentOsInstrumentor().instrument(tracer_provider=provider)
    engine = PolicyEngine(); engine.add_constraint("a", ["file_read"])
    engine.check_violation("a", "file_read", {})
    print(json.dumps([s.name for s in own.get_finished_spans()]))
    """
    result = run_python(tmp_path, SETUP + textwrap.dedent(body) + "\nreport()\n")
    assert result.returncode == 0, result.stderr
    own_spans, reported = result.stdout.strip().splitlines()[-2:]
    assert json.loads(own_spans) == ["policy.evaluate"]
    assert json.loads(reported)["spans"] == []
