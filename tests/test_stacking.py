"""The stacking matrix: each of our framework instrumentors alone, all together, and together with
another vendor's instrumentors (OpenLLMetry's, which register the same entry-point names) installed
-> exactly one span per logical operation, under zero-code `opentelemetry-instrument`.

The program (tests/programs/three_frameworks.py) makes five model calls, two tool calls and two
agent runs through the OpenAI SDK, a LangGraph agent on ChatOpenAI and an OpenAI Agents SDK agent,
against a real HTTP server on loopback.
"""

import json
import subprocess
import sys
from collections import Counter

import pytest

from agent_os_otel import catalogue as c
from tests.support.openai_server import OpenAIServer, text, tool_call
from tests.support.run import ROOT, clean_env, run_instrumented
from tests.test_doctor import doctor

PROGRAM = ROOT / "tests" / "programs" / "three_frameworks.py"
VENDOR = ("opentelemetry-instrumentation-openai", "opentelemetry-instrumentation-langchain",
          "opentelemetry-instrumentation-openai-agents", "opentelemetry-semantic-conventions-ai")


@pytest.fixture(scope="module")
def other_vendor(tmp_path_factory):
    """OpenLLMetry's instrumentors for the same three frameworks, installed beside ours (PYTHONPATH)."""
    target = tmp_path_factory.mktemp("openllmetry")
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(target),
                    *VENDOR], check=True)
    return str(target)


def operation(span: dict) -> str | None:
    """What logical operation a span stands for, whoever recorded it (our semconv spans, or
    OpenLLMetry's llm.request.type / traceloop.span.kind ones)."""
    attrs = span["attrs"]
    name = attrs.get(c.ATTR_GEN_AI_OPERATION_NAME)
    if name in c.MODEL_OPERATIONS or attrs.get("llm.request.type") in ("chat", "completion"):
        return "model"
    if name == c.OP_EXECUTE_TOOL or attrs.get("traceloop.span.kind") == "tool":
        return "tool"
    if name == c.OP_INVOKE_AGENT or attrs.get("traceloop.span.kind") in ("agent", "workflow"):
        return "agent"
    return None


# What the server answers to each part of the program, in order: the agents ask for a tool, then answer.
REPLIES = {
    "openai": (text("hi"),),
    "langgraph": (tool_call("get_weather", {"city": "Paris"}, call_id="call_lg"), text("Sunny.")),
    "agents": (tool_call("get_weather", {"city": "Rome"}, call_id="call_oa"), text("Sunny too.")),
}


def run(tmp_path, pythonpath: str = "", parts: str = "openai,langgraph,agents",
        **env: str) -> tuple[dict, Counter, list]:
    replies = [reply for part in parts.split(",") for reply in REPLIES[part]]
    with OpenAIServer() as server:
        server.script(*replies)
        environment = clean_env(OPENAI_BASE_URL=server.base_url, OPENAI_API_KEY="test-key",
                                AGENT_OS_OTEL_PROMETHEUS_ENABLED="false", AGENT_TEST_PARTS=parts, **env)
        if pythonpath:
            environment["PYTHONPATH"] = pythonpath
        result = run_instrumented(tmp_path, environment, program=PROGRAM, timeout=120)
        requests = list(server.requests)
    assert result.returncode == 0, result.stderr[-3000:]
    assert len(requests) == len(replies), requests
    spans = result.facts["spans"]
    return result, Counter(filter(None, map(operation, spans))), spans


OURS_ONLY = {
    # instrumentors turned off by name -> expected (model, tool, agent) spans
    "openai alone": ("langchain,openai_agents", (5, 0, 0)),
    "langchain alone": ("openai,openai_agents", (2, 1, 1)),
    "openai_agents alone": ("openai,langchain", (2, 1, 1)),
    "all three together": ("", (5, 2, 2)),
}


@pytest.mark.parametrize("case", sorted(OURS_ONLY))
def test_each_alone_and_all_together_one_span_per_operation(tmp_path, case):
    disabled, (model, tool, agent) = OURS_ONLY[case]
    result, counts, spans = run(tmp_path, OTEL_PYTHON_DISABLED_INSTRUMENTATIONS=disabled)
    assert counts == Counter(model=model, tool=tool, agent=agent), (counts, [s["name"] for s in spans])
    assert all(s["scope"].startswith("agent_os_otel") for s in spans if operation(s)), spans


def test_with_another_vendor_installed_ours_run_and_theirs_are_skipped(tmp_path, other_vendor):
    result, counts, spans = run(tmp_path, other_vendor)
    assert counts == Counter(model=5, tool=2, agent=2), (counts, [(s["scope"], s["name"]) for s in spans])
    assert all(s["scope"].startswith("agent_os_otel") for s in spans if operation(s)), spans
    skipped = [line for line in result.stdout.splitlines() + result.stderr.splitlines()
               if "skipped the" in line and "AGENT_OS_OTEL_YIELD_INSTRUMENTATIONS" in line]
    assert len(skipped) == 3, skipped  # one line per contested name, each naming the way to prefer theirs


def test_yielding_one_framework_to_the_other_vendor_still_one_span_per_operation(tmp_path, other_vendor):
    """Their OpenAI instrumentor, our LangChain and Agents SDK ones: the OpenAI calls LangChain and the
    Agents SDK make run inside our model spans, which tell theirs to stay quiet."""
    result, counts, spans = run(tmp_path, other_vendor, AGENT_OS_OTEL_YIELD_INSTRUMENTATIONS="openai")
    assert counts == Counter(model=5, tool=2, agent=2), (counts, [(s["scope"], s["name"]) for s in spans])
    theirs = [s for s in spans if operation(s) and not s["scope"].startswith("agent_os_otel")]
    assert [operation(s) for s in theirs] == ["model"], theirs  # the direct OpenAI SDK call, by them


def test_disabling_a_name_turns_off_every_package_registering_it(tmp_path, other_vendor):
    """OTEL_PYTHON_DISABLED_INSTRUMENTATIONS matches entry-point names, not packages: "openai" turns
    off our OpenAI instrumentor and theirs alike."""
    result, counts, spans = run(tmp_path, other_vendor, OTEL_PYTHON_DISABLED_INSTRUMENTATIONS="openai",
                                parts="openai")
    assert counts == Counter(), spans


def test_doctor_says_which_of_two_instrumentors_of_a_name_runs(tmp_path, other_vendor):
    def statuses(**env) -> dict:
        result = doctor(tmp_path, "--json", PYTHONPATH=other_vendor, **env)
        rows = json.loads(result.stdout)["instrumentors"]
        return {(r["name"], r["package"].split()[0]): r["status"] for r in rows if r["name"] == "openai"}

    default = statuses()
    assert default[("openai", "agent-os-otel")] == "active"
    assert default[("openai", "opentelemetry-instrumentation-openai")].startswith("skipped: agent-os-otel instruments")
    yielded = statuses(AGENT_OS_OTEL_YIELD_INSTRUMENTATIONS="openai")
    assert yielded[("openai", "agent-os-otel")].startswith("skipped: another package's 'openai' instrumentor runs")
    assert yielded[("openai", "opentelemetry-instrumentation-openai")] == "active"
