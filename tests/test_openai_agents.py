"""The OpenAI Agents SDK instrumentation: the SDK's own spans bridged into one OpenTelemetry tree.

Each test runs a real Agents SDK program in a fresh interpreter against the loopback OpenAI-compatible
server (tests/support/openai_server.py). The programs replace the SDK's trace processors with the bridge
alone, as the module docstring tells users to, so the SDK's exporter never tries api.openai.com.
"""

import json
import textwrap

import pytest

from agent_os_otel import catalogue as c
from tests.support.openai_server import OpenAIServer, broken_stream, error, text, tool_call
from tests.support.telemetry import children, named, run_program, tree

SETUP = '''
import agents
from agents import Agent, Runner, function_tool
from openai import AsyncOpenAI
agents.set_trace_processors([INSTRUMENTORS["openai_agents"].processor])


@function_tool
def get_weather(city: str) -> str:
    """The weather in a city."""
    return f"sunny in {city}"


def assistant(api="responses", **kwargs):
    model = "gpt-4o" if api == "responses" else agents.OpenAIChatCompletionsModel("gpt-4o", AsyncOpenAI())
    return Agent(name="Assistant", instructions="Be brief.", model=model, tools=[get_weather], **kwargs)


async def streamed(agent, prompt, **kwargs):
    result = Runner.run_streamed(agent, prompt, **kwargs)
    async for _ in result.stream_events():
        pass
    return result


def report(**facts):
    print("@@FACTS@@" + json.dumps(facts, default=str))
'''

WEATHER = (tool_call("get_weather", {"city": "Paris"}, call_id="call_1", input_tokens=10, output_tokens=5),
           text("Sunny in Paris.", input_tokens=12, output_tokens=3))
TREE = ["invoke_workflow Agent workflow",
        "  invoke_agent Assistant",
        "    chat gpt-4o",
        "    execute_tool get_weather",
        "    chat gpt-4o"]


@pytest.fixture
def server():
    with OpenAIServer() as running:
        yield running


def run(tmp_path, server, body: str, instrument=("openai_agents",), **env) -> dict:
    telemetry = run_program(tmp_path, SETUP + textwrap.dedent(body), instrument=instrument,
                            OPENAI_BASE_URL=server.base_url, OPENAI_API_KEY="test-key", **env)
    facts = [line for line in telemetry["stdout"].splitlines() if line.startswith("@@FACTS@@")]
    telemetry["facts"] = json.loads(facts[-1][len("@@FACTS@@"):]) if facts else {}
    return telemetry


def tokens(telemetry: dict) -> dict:
    """gen_ai.client.token.usage summed by token type."""
    sums: dict = {}
    for point in telemetry["metrics"]:
        if point["name"] == c.GEN_AI_TOKEN_USAGE.name:
            kind = point["attrs"][c.ATTR_GEN_AI_TOKEN_TYPE]
            sums[kind] = sums.get(kind, 0) + point["sum"]
    return sums


RUNS = {
    "run": "asyncio.run(Runner.run(assistant(API), 'weather in Paris?'))",
    "run_sync": "Runner.run_sync(assistant(API), 'weather in Paris?')",
    "run_streamed": "asyncio.run(streamed(assistant(API), 'weather in Paris?'))",
}


@pytest.mark.parametrize("how,api", [("run", "responses"), ("run_sync", "responses"), ("run_streamed", "responses"),
                                     ("run", "chat"), ("run_streamed", "chat")])
def test_a_run_is_one_tree_of_genai_spans(tmp_path, server, how, api):
    server.script(*WEATHER)
    out = run(tmp_path, server, f"""
        class Counting:  # the user's own processor: still fed, beside the bridge
            ended = 0
            def on_trace_start(self, t): pass
            def on_trace_end(self, t): pass
            def on_span_start(self, s): pass
            def on_span_end(self, s): Counting.ended += 1
            def shutdown(self): pass
            def force_flush(self): pass
        agents.add_trace_processor(Counting())
        API = {api!r}
        result = {RUNS[how]}
        report(output=result.final_output, user_processor_spans=Counting.ended)
    """)
    assert out["facts"]["output"] == "Sunny in Paris."
    assert out["facts"]["user_processor_spans"] >= 4  # agent, two responses, function (+ task, turns)
    assert tree(out) == TREE
    assert len({s["trace"] for s in out["spans"]}) == 1
    assert {(s["scope"], s["schema_url"]) for s in out["spans"]} == {("agent_os_otel.openai_agents", c.GEN_AI_SCHEMA_URL)}

    [workflow], [agent], [tool] = (named(out, n.strip()) for n in TREE[:2] + TREE[3:4])
    assert workflow["attrs"] == {c.ATTR_GEN_AI_OPERATION_NAME: "invoke_workflow",
                                 c.ATTR_GEN_AI_WORKFLOW_NAME: "Agent workflow"}
    assert agent["attrs"] == {c.ATTR_GEN_AI_OPERATION_NAME: "invoke_agent", c.ATTR_GEN_AI_AGENT_NAME: "Assistant",
                              c.ATTR_GEN_AI_PROVIDER_NAME: "openai", c.ATTR_GEN_AI_REQUEST_MODEL: "gpt-4o"}
    assert tool["attrs"] == {c.ATTR_GEN_AI_OPERATION_NAME: "execute_tool", c.ATTR_GEN_AI_TOOL_NAME: "get_weather",
                             c.ATTR_GEN_AI_TOOL_CALL_ID: "call_1", c.ATTR_GEN_AI_TOOL_TYPE: "function",
                             c.ATTR_GEN_AI_TOOL_DESCRIPTION: "The weather in a city."}
    first, second = sorted(named(out, "chat gpt-4o"), key=lambda s: s["start"])
    for span in (first, second):
        assert span["kind"] == "CLIENT" and span["status"] == "UNSET"
        assert span["attrs"][c.ATTR_GEN_AI_PROVIDER_NAME] == "openai"
        assert span["attrs"][c.ATTR_SERVER_ADDRESS] == "127.0.0.1"
        assert not set(span["attrs"]) & set(c.GEN_AI_CONTENT_ATTRIBUTES)  # no content unless opted in
    if (how, api) == ("run_streamed", "chat"):
        return  # the SDK does not ask a streamed chat completion for usage, and keeps no id: nothing more to see
    assert first["attrs"][c.ATTR_GEN_AI_RESPONSE_FINISH_REASONS] == ["tool_calls"]
    assert second["attrs"][c.ATTR_GEN_AI_RESPONSE_FINISH_REASONS] == ["stop"]
    assert first["attrs"][c.ATTR_GEN_AI_RESPONSE_MODEL] == "gpt-4o-2024-08-06"
    assert first["attrs"][c.ATTR_GEN_AI_RESPONSE_ID].startswith("resp_" if api == "responses" else "chatcmpl-")
    assert (second["attrs"][c.ATTR_GEN_AI_USAGE_INPUT_TOKENS], second["attrs"][c.ATTR_GEN_AI_USAGE_OUTPUT_TOKENS]) \
        == (12, 3)
    assert tokens(out) == {"input": 22, "output": 8}
    durations = [p for p in out["metrics"] if p["name"] == c.GEN_AI_OPERATION_DURATION.name]
    assert sum(p["count"] for p in durations) == 2
    assert durations[0]["attrs"][c.ATTR_GEN_AI_REQUEST_MODEL] == "gpt-4o"


def test_concurrent_runs_each_get_their_own_tree_under_the_callers_span(tmp_path, server):
    out = run(tmp_path, server, """
        from opentelemetry import trace
        tracer = trace.get_tracer("user")
        async def request(name):
            with tracer.start_as_current_span(f"request {name}"):
                return await Runner.run(Agent(name=name, model="gpt-4o"), "hi")
        async def both():
            return await asyncio.gather(request("A"), request("B"))
        report(outputs=[r.final_output for r in asyncio.run(both())])
    """)
    assert out["facts"] == {"outputs": ["ok", "ok"]}
    for name in ("A", "B"):
        [request] = named(out, f"request {name}")
        [workflow] = children(out, request)
        [agent] = children(out, workflow)
        [model] = children(out, agent)
        assert (workflow["name"], agent["name"], model["name"]) == (
            "invoke_workflow Agent workflow", f"invoke_agent {name}", "chat gpt-4o")
    assert len(out["spans"]) == 8 and len({s["trace"] for s in out["spans"]}) == 2


def test_a_tool_that_raises_fails_its_span_and_the_run_goes_on(tmp_path, server):
    server.script(tool_call("explode", {}, call_id="call_x"), text("It broke."))
    out = run(tmp_path, server, """
        @function_tool
        def explode() -> str:
            \"\"\"Always fails.\"\"\"
            raise ValueError("boom")
        async def main():
            try:
                raise KeyError("unrelated")
            except KeyError:  # an error the program is handling is not the run's
                return await Runner.run(Agent(name="Assistant", model="gpt-4o", tools=[explode]), "go")
        report(output=asyncio.run(main()).final_output)
    """)
    assert out["facts"] == {"output": "It broke."}
    [tool] = named(out, "execute_tool explode")
    assert tool["status"] == "ERROR" and tool["attrs"][c.ATTR_ERROR_TYPE] == "ValueError"
    assert [s["status"] for s in named(out, "chat gpt-4o")] == ["UNSET", "UNSET"]
    assert {s["status"] for s in out["spans"] if s is not tool} == {"UNSET"}


def test_a_failed_run_fails_its_agent_and_workflow_spans(tmp_path, server):
    server.script(error(400, "bad request"))
    out = run(tmp_path, server, """
        import openai
        try:
            asyncio.run(Runner.run(assistant(), "weather?"))
        except openai.BadRequestError as exc:
            report(raised=type(exc).__name__)
    """)
    assert out["facts"] == {"raised": "BadRequestError"}
    assert tree(out) == TREE[:3]
    assert {s["status"] for s in out["spans"]} == {"ERROR"}
    assert {s["attrs"][c.ATTR_ERROR_TYPE] for s in out["spans"]} == {"400"}  # the HTTP status, as semconv asks


def test_an_interrupted_stream_ends_its_spans(tmp_path, server):
    server.script(broken_stream(after_chunks=2), text("a long answer, streamed in pieces"))
    out = run(tmp_path, server, """
        async def main():
            try:
                await streamed(assistant(), "hi")  # the connection drops mid-stream
            except Exception as exc:
                print(type(exc).__name__)
            result = Runner.run_streamed(assistant(), "hi")
            async for event in result.stream_events():
                if event.type == "raw_response_event":
                    result.cancel()  # the consumer stops as soon as the model starts answering
                    break
        asyncio.run(main())
    """)
    assert tree(out) == TREE[:3] * 2  # both runs: every span ended
    broken, cancelled = sorted(named(out, "chat gpt-4o"), key=lambda s: s["start"])
    assert broken["status"] == "ERROR" and broken["attrs"][c.ATTR_ERROR_TYPE] == "APIConnectionError"
    assert cancelled["status"] == "ERROR" and cancelled["attrs"][c.ATTR_ERROR_TYPE] == "CancelledError"


def test_with_the_openai_instrumentation_each_model_call_has_one_span_and_retries_show_on_it(tmp_path, server):
    server.script(error(429), *WEATHER, error(429), *WEATHER)
    out = run(tmp_path, server, """
        async def both():
            for api in ("responses", "chat"):
                await Runner.run(assistant(api), "weather in Paris?")
        asyncio.run(both())
    """, instrument=("openai_agents", "openai"))
    assert tree(out) == TREE + TREE
    models = [s for s in out["spans"] if s["attrs"].get(c.ATTR_GEN_AI_OPERATION_NAME) == "chat"]
    assert len(models) == 4 and {s["scope"] for s in models} == {"agent_os_otel.openai_agents"}
    retried = [s for s in models if s["events"]]
    assert len(retried) == 2
    for span in retried:
        assert [e["name"] for e in span["events"]] == [c.EVENT_GEN_AI_RETRY]
        assert span["events"][0]["attrs"][c.ATTR_HTTP_RESPONSE_STATUS_CODE] == 429
        assert span["status"] == "UNSET" and span["attrs"][c.ATTR_GEN_AI_RESPONSE_FINISH_REASONS] == ["tool_calls"]
    assert tokens(out) == {"input": 44, "output": 16}


def test_content_is_captured_only_when_opted_in_and_redacted(tmp_path, server):
    server.script(*WEATHER)
    out = run(tmp_path, server, """
        asyncio.run(Runner.run(assistant(), "weather in Paris? my key is sk-proj-Ab3dEfGh1jKlMnOpQrStUvWxYz0123456789abcd"))
    """, OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT="SPAN_ONLY")
    first, second = sorted(named(out, "chat gpt-4o"), key=lambda s: s["start"])
    prompt = first["attrs"][c.ATTR_GEN_AI_INPUT_MESSAGES]
    assert "weather in Paris?" in prompt and "[REDACTED:openai_key]" in prompt and "sk-proj-" not in prompt
    assert json.loads(first["attrs"][c.ATTR_GEN_AI_SYSTEM_INSTRUCTIONS]) == [{"type": "text", "content": "Be brief."}]
    assert "get_weather" in first["attrs"][c.ATTR_GEN_AI_OUTPUT_MESSAGES]
    assert "Sunny in Paris." in second["attrs"][c.ATTR_GEN_AI_OUTPUT_MESSAGES]
    [tool] = named(out, "execute_tool get_weather")
    assert json.loads(tool["attrs"][c.ATTR_GEN_AI_TOOL_CALL_ARGUMENTS]) == {"city": "Paris"}
    assert tool["attrs"][c.ATTR_GEN_AI_TOOL_CALL_RESULT] == "sunny in Paris"


def test_handoffs_and_guardrails_are_their_own_spans(tmp_path, server):
    server.script(tool_call("transfer_to_french_agent", {}, call_id="call_h"), text("Bonjour."))
    out = run(tmp_path, server, """
        from agents import GuardrailFunctionOutput, input_guardrail
        @input_guardrail
        def polite(ctx, agent, prompt):
            return GuardrailFunctionOutput(output_info=None, tripwire_triggered=False)
        french = Agent(name="French Agent", model="gpt-4o")
        triage = Agent(name="Triage", model="gpt-4o", handoffs=[french], input_guardrails=[polite])
        report(output=asyncio.run(Runner.run(triage, "bonjour?")).final_output)
    """)
    assert out["facts"] == {"output": "Bonjour."}
    assert sorted(tree(out)[1:]) == sorted([
        "  invoke_agent Triage", "    guardrail polite", "    chat gpt-4o", "    handoff French Agent",
        "  invoke_agent French Agent", "    chat gpt-4o"])
    [handoff] = named(out, "handoff French Agent")
    assert handoff["attrs"] == {c.ATTR_HANDOFF_FROM_AGENT: "Triage", c.ATTR_HANDOFF_TO_AGENT: "French Agent"}
    [guardrail] = named(out, "guardrail polite")
    assert guardrail["attrs"] == {c.ATTR_GUARDRAIL_NAME: "polite", c.ATTR_GUARDRAIL_TRIGGERED: False}


def test_agent_os_tool_checks_are_recorded_under_their_tool_span(tmp_path, server):
    server.script(tool_call("get_weather", {"city": "Paris"}, call_id="call_ok"),
                  tool_call("shell", {"command": "rm -rf /"}, call_id="call_no"))
    out = run(tmp_path, server, """
        from agent_os.integrations.openai_agents_sdk import OpenAIAgentsKernel
        @function_tool
        def shell(command: str) -> str:
            \"\"\"Runs a command.\"\"\"
            return "ran"
        kernel = OpenAIAgentsKernel(blocked_tools=["shell"])
        agent = Agent(name="Assistant", model="gpt-4o", tools=[get_weather, shell])
        try:
            asyncio.run(Runner.run(agent, "weather, then clean up", hooks=kernel.as_hooks()))
        except agents.UserError as exc:
            report(raised=str(exc))
    """, instrument=("openai_agents", "agent_os"))
    assert "shell" in out["facts"]["raised"]
    for tool, decision in (("get_weather", "allow"), ("shell", "deny")):
        [span] = named(out, f"execute_tool {tool}")
        checks = [s for s in children(out, span) if s["name"] == c.SPAN_POLICY_EVALUATE]
        assert checks and {s["attrs"][c.ATTR_POLICY_DECISION] for s in checks} == {decision}, tree(out)
        records = [r for r in out["logs"] if r["event_name"] == c.AUDIT_EVENT_NAME
                   and r["span_id"] in {s["id"] for s in checks}]
        assert records and {r["trace_id"] for r in records} == {span["trace"]}
    assert named(out, "execute_tool shell")[0]["status"] == "ERROR"


def test_uninstrument_stops_the_bridge_and_the_run_is_unchanged(tmp_path, server):
    server.script(*WEATHER, *WEATHER)
    out = run(tmp_path, server, """
        async def twice():
            first = await Runner.run(assistant(), "weather in Paris?")
            INSTRUMENTORS["openai_agents"].uninstrument()
            second = await Runner.run(assistant(), "weather in Paris?")
            return [first.final_output, second.final_output]
        outputs = asyncio.run(twice())
        import wrapt
        from agents.models.openai_responses import OpenAIResponsesModel
        report(outputs=outputs, still_wrapped=isinstance(vars(OpenAIResponsesModel)["_fetch_response"], wrapt.ObjectProxy))
    """)
    assert out["facts"] == {"outputs": ["Sunny in Paris.", "Sunny in Paris."], "still_wrapped": False}
    assert tree(out) == TREE


def test_another_bridge_of_the_sdk_spans_makes_ours_stand_aside(tmp_path, server):
    server.script(*WEATHER)
    out = run(tmp_path, server, """
        class OtherVendor:  # what OpenLLMetry's openai-agents instrumentation registers
            def __getattr__(self, name): return lambda *args, **kwargs: None
        OtherVendor.__module__ = "opentelemetry.instrumentation.openai_agents._hooks"
        agents.add_trace_processor(OtherVendor())
        report(output=asyncio.run(Runner.run(assistant(), "weather in Paris?")).final_output)
    """)
    assert out["facts"] == {"output": "Sunny in Paris."}
    assert out["spans"] == []


def test_a_fault_in_the_bridge_never_reaches_the_program(tmp_path, server):
    server.script(*WEATHER)
    out = run(tmp_path, server, """
        from agent_os_otel.instrumentation import genai
        def broken(*args, **kwargs):
            raise RuntimeError("bridge bug")
        genai.start_tool = broken
        report(output=asyncio.run(Runner.run(assistant(), "weather in Paris?")).final_output)
    """)
    assert out["facts"] == {"output": "Sunny in Paris."}
    warnings = [line for line in out["stderr"].splitlines() if "internal error in the openai_agents" in line]
    assert len(warnings) == 1 and "bridge bug" in warnings[0]
    assert tree(out) == TREE[:3] + TREE[4:]  # everything but the tool span
