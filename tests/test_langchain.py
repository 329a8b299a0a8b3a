"""The LangChain / LangGraph instrumentation, on the real frameworks driven by a scripted fake chat model
(tests/support/langchain_fakes.py): span trees, attributes and GenAI metrics of agents built by
LangGraph's create_react_agent and LangChain's create_agent, sync and async, streams, opt-in content
capture, Agent OS policy checks under the tool they decide about, uninstrument, and our faults."""

import json
import textwrap

from agent_os_otel import catalogue as c
from tests.support.run import ROOT, run_example
from tests.support.telemetry import children, named, run_program, tree

SETUP = f"""
sys.path.insert(0, {str(ROOT)!r})
from langchain_core.tools import tool
from tests.support.langchain_fakes import ChatFake, ask, reply, tool_call
user = trace.get_tracer("user-code")

@tool
def get_weather(city: str) -> str:
    \"\"\"The weather in a city.\"\"\"
    with user.start_as_current_span("lookup " + city):
        return "sunny in " + city
"""
SECRET = "sk-proj-A8f3kQ9zL2mN7xR4tV6wY1bC5dE0gH"


def run(tmp_path, body: str, instrument=("langchain",), **env) -> dict:
    return run_program(tmp_path, SETUP + textwrap.dedent(body), instrument=instrument, **env)


def one(telemetry: dict, name: str) -> dict:
    spans = named(telemetry, name)
    assert len(spans) == 1, (name, tree(telemetry))
    return spans[0]


def subtree(telemetry: dict, span: dict) -> list[str]:
    """A span's descendants as indented names, children in start order."""
    lines = []
    for child in sorted(children(telemetry, span), key=lambda s: s["start"]):
        lines.append(child["name"])
        lines.extend("  " + line for line in subtree(telemetry, child))
    return lines


def points(telemetry: dict, metric: str) -> list[dict]:
    return [p for p in telemetry["metrics"] if p["name"] == metric]


def content_attributes(telemetry: dict) -> list[str]:
    return [key for s in telemetry["spans"] for key in s["attrs"] if key in c.GEN_AI_CONTENT_ATTRIBUTES]


def test_react_agent_tree_attributes_and_metrics(tmp_path):
    t = run(tmp_path, """
        from langgraph.prebuilt import create_react_agent
        model = ChatFake(messages=iter([
            ask(tool_call("get_weather", "call_paris", city="Paris"),
                tool_call("get_weather", "call_rome", city="Rome")),
            reply("Sunny in both.", model_name="fake-model-2026-01", message_id="resp-2")]))
        agent = create_react_agent(model, [get_weather], name="forecaster")
        out = agent.invoke({"messages": [("user", "Weather in Paris and Rome?")]},
                           {"configurable": {"thread_id": "thread-7"}})
        print(out["messages"][-1].content)
    """)
    assert t["stdout"].strip() == "Sunny in both."
    creation, agent = one(t, "create_agent forecaster"), one(t, "invoke_agent forecaster")
    assert creation["parent"] is None and creation["attrs"] == {
        "gen_ai.operation.name": "create_agent", "gen_ai.agent.name": "forecaster",
        "gen_ai.provider.name": "fake", "gen_ai.request.model": "fake-model"}
    assert agent["parent"] is None and agent["kind"] == "INTERNAL" and agent["attrs"] == {
        "gen_ai.operation.name": "invoke_agent", "gen_ai.agent.name": "forecaster", "gen_ai.provider.name": "fake",
        "gen_ai.request.model": "fake-model", "gen_ai.conversation.id": "thread-7"}
    # the two tool calls run in parallel worker threads: each under the agent, the tool's own work under it
    lines = subtree(t, agent)
    assert lines[0] == "chat fake-model" and lines[-1] == "chat fake-model", lines
    assert sorted(lines[1:-1]) == ["  lookup Paris", "  lookup Rome", "execute_tool get_weather",
                                   "execute_tool get_weather"], lines
    tools = {s["attrs"]["gen_ai.tool.call.id"]: s for s in named(t, "execute_tool get_weather")}
    assert {call: [s["name"] for s in children(t, span)] for call, span in tools.items()} == {
        "call_paris": ["lookup Paris"], "call_rome": ["lookup Rome"]}
    assert tools["call_paris"]["attrs"] == {
        "gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": "get_weather", "gen_ai.tool.call.id": "call_paris",
        "gen_ai.tool.type": "function", "gen_ai.tool.description": "The weather in a city."}
    first, second = sorted(named(t, "chat fake-model"), key=lambda s: s["start"])
    assert first["kind"] == "CLIENT" and first["attrs"] == {
        "gen_ai.operation.name": "chat", "gen_ai.provider.name": "fake", "gen_ai.request.model": "fake-model",
        "gen_ai.response.finish_reasons": ["tool_call"], "gen_ai.usage.input_tokens": 12,
        "gen_ai.usage.output_tokens": 5}
    assert second["attrs"]["gen_ai.response.finish_reasons"] == ["stop"]
    assert second["attrs"]["gen_ai.response.model"] == "fake-model-2026-01"
    assert second["attrs"]["gen_ai.response.id"] == "resp-2"
    assert {s["scope"] for s in t["spans"] if not s["name"].startswith("lookup")} == {"agent_os_otel.langchain"}
    assert {s["schema_url"] for s in t["spans"] if not s["name"].startswith("lookup")} == {c.GEN_AI_SCHEMA_URL}
    assert all(s["status"] == "UNSET" for s in t["spans"])
    assert content_attributes(t) == []  # no content unless the user opts in

    durations = points(t, "gen_ai.client.operation.duration")
    assert sum(p["count"] for p in durations) == 2 and {tuple(p["bounds"]) for p in durations} == {c.GEN_AI_DURATION}
    assert all(p["unit"] == "s" and p["attrs"]["gen_ai.operation.name"] == "chat"
               and p["attrs"]["gen_ai.provider.name"] == "fake" and p["attrs"]["gen_ai.request.model"] == "fake-model"
               for p in durations)
    tokens = points(t, "gen_ai.client.token.usage")
    assert {tuple(p["bounds"]) for p in tokens} == {c.GEN_AI_TOKENS}
    assert {kind: sum(p["sum"] for p in tokens if p["attrs"]["gen_ai.token.type"] == kind)
            for kind in ("input", "output")} == {"input": 32, "output": 13}


def test_async_agents_run_concurrently_as_separate_trees(tmp_path):
    """create_agent, ainvoke, asyncio.gather of two agents; the sync tool runs in an executor thread."""
    t = run(tmp_path, """
        from langchain.agents import create_agent

        def build(name, city):
            model = ChatFake(messages=iter([ask(tool_call("get_weather", "call_" + city, city=city)),
                                            reply("Sunny in " + city + ".")]))
            return create_agent(model, [get_weather], name=name, system_prompt="Be brief.")

        async def main():
            alpha, beta = build("alpha", "Paris"), build("beta", "Rome")
            results = await asyncio.gather(alpha.ainvoke({"messages": [("user", "Paris?")]}),
                                           beta.ainvoke({"messages": [("user", "Rome?")]}))
            print([r["messages"][-1].content for r in results])

        asyncio.run(main())
    """)
    assert t["stdout"].strip() == "['Sunny in Paris.', 'Sunny in Rome.']"
    agents = {name: one(t, f"invoke_agent {name}") for name in ("alpha", "beta")}
    for name, city in (("alpha", "Paris"), ("beta", "Rome")):
        assert subtree(t, agents[name]) == ["chat fake-model", "execute_tool get_weather", f"  lookup {city}",
                                            "chat fake-model"], tree(t)
    assert agents["alpha"]["trace"] != agents["beta"]["trace"]
    assert len(t["spans"]) == 2 * 6  # create_agent + the five spans of each run


def test_streams_end_their_spans_however_the_consumer_stops(tmp_path):
    t = run(tmp_path, """
        from opentelemetry.trace import get_current_span
        model = ChatFake(messages=iter([
            reply("one two three", model_name="fake-model-2026-01"), reply("four five six"),
            RuntimeError("connection reset"), reply("seven eight"), reply("nine ten")]))
        print("full", "".join(chunk.content for chunk in model.stream("hi")))
        for chunk in model.stream("hi"):
            leaked = get_current_span().is_recording()  # the consumer's code runs outside the model span
            break
        print("leaked", leaked)
        never_iterated = model.stream("hi")  # no span for it: nothing happened
        del never_iterated
        try:
            for chunk in model.stream("hi"):
                pass
        except RuntimeError as exc:
            print("raised", exc)

        async def main():
            print("async", "".join([chunk.content async for chunk in model.astream("hi")]))
            stream = model.astream("hi")
            async for chunk in stream:
                break
            await stream.aclose()

        asyncio.run(main())
    """)
    assert t["stdout"].split("\n")[:4] == ["full one two three", "leaked False", "raised connection reset",
                                           "async seven eight"]
    full, early, failed, streamed, closed = sorted(named(t, "chat fake-model"), key=lambda s: s["start"])
    for span in (full, streamed):
        assert span["status"] == "UNSET" and span["attrs"]["gen_ai.request.stream"] is True
        assert span["attrs"]["gen_ai.response.finish_reasons"] == ["stop"]
        assert span["attrs"]["gen_ai.usage.input_tokens"] == 20 and span["attrs"]["gen_ai.usage.output_tokens"] == 8
        assert span["attrs"]["gen_ai.response.time_to_first_chunk"] > 0
    assert full["attrs"]["gen_ai.response.model"] == "fake-model-2026-01"
    for span in (early, closed):  # left early: ended, no error, no finish reason made up
        assert span["status"] == "UNSET" and "gen_ai.response.finish_reasons" not in span["attrs"]
    assert failed["status"] == "ERROR" and failed["attrs"]["error.type"] == "RuntimeError"
    assert sum(p["count"] for p in points(t, "gen_ai.client.operation.duration")) == 5
    errors = [p for p in points(t, "gen_ai.client.operation.duration") if "error.type" in p["attrs"]]
    assert [(p["attrs"]["error.type"], p["count"]) for p in errors] == [("RuntimeError", 1)]


def test_agent_stream_and_astream(tmp_path):
    t = run(tmp_path, """
        from langgraph.prebuilt import create_react_agent

        def build(name):
            model = ChatFake(messages=iter([ask(tool_call("get_weather", city="Oslo")), reply("Cold.")]))
            return create_react_agent(model, [get_weather], name=name)

        steps = [list(update) for update in build("streamer").stream({"messages": [("user", "Oslo?")]},
                                                                     stream_mode="updates")]
        print(steps)
        for update in build("quitter").stream({"messages": [("user", "Oslo?")]}, stream_mode="updates"):
            break  # after the first model turn

        async def main():
            async for update in build("async-streamer").astream({"messages": [("user", "Oslo?")]},
                                                                stream_mode="updates"):
                pass

        asyncio.run(main())
    """)
    assert t["stdout"].strip() == "[['agent'], ['tools'], ['agent']]"
    for name in ("streamer", "async-streamer"):
        assert subtree(t, one(t, f"invoke_agent {name}")) == [
            "chat fake-model", "execute_tool get_weather", "  lookup Oslo", "chat fake-model"]
    assert subtree(t, one(t, "invoke_agent quitter")) == ["chat fake-model"]
    assert all(s["status"] == "UNSET" for s in t["spans"])


def test_content_is_captured_only_when_opted_in_redacted_and_capped(tmp_path):
    body = f"""
        from langgraph.prebuilt import create_react_agent
        model = ChatFake(messages=iter([ask(tool_call("get_weather", city="Paris")),
                                        reply("Sunny. Your key {SECRET} is safe with me.")]))
        agent = create_react_agent(model, [get_weather], prompt="You are terse. Never reveal keys.")
        agent.invoke({{"messages": [("user", "Weather in Paris? my api_key={SECRET}")]}})
    """
    t = run(tmp_path, body, OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT="SPAN_ONLY")
    assert SECRET not in repr(t["spans"])
    first, second = sorted(named(t, "chat fake-model"), key=lambda s: s["start"])
    assert first["attrs"]["gen_ai.system_instructions"] == \
        '[{"type": "text", "content": "You are terse. Never reveal keys."}]'
    assert first["attrs"]["gen_ai.input.messages"] == (
        '[{"role": "user", "parts": [{"type": "text", '
        '"content": "Weather in Paris? my api_key=[REDACTED:openai_key]"}]}]')
    assert first["attrs"]["gen_ai.output.messages"] == (
        '[{"role": "assistant", "parts": [{"type": "tool_call", "id": "call_1", "name": "get_weather", '
        '"arguments": {"city": "Paris"}}], "finish_reason": "tool_call"}]')
    assert '{"role": "tool", "parts": [{"type": "tool_call_response", "id": "call_1", "response": "sunny in Paris"}]}' \
        in second["attrs"]["gen_ai.input.messages"]
    assert "[REDACTED:" in second["attrs"]["gen_ai.output.messages"]
    tool = one(t, "execute_tool get_weather")
    assert tool["attrs"]["gen_ai.tool.call.arguments"] == '{"city": "Paris"}'
    assert tool["attrs"]["gen_ai.tool.call.result"] == "sunny in Paris"

    capped = run(tmp_path, body, OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT="SPAN_ONLY",
                 AGENT_OS_OTEL_GENAI_CONTENT_MAX_LENGTH="12")
    first = min(named(capped, "chat fake-model"), key=lambda s: s["start"])
    assert '"content": "You are ters...[truncated 21 chars]"' in first["attrs"]["gen_ai.system_instructions"]


def test_agent_os_policy_checks_sit_under_the_tool_they_decide_about(tmp_path):
    """create_agent with Agent OS's governance middleware: ToolNode runs it inside the tool's span."""
    t = run(tmp_path, """
        from langchain.agents import create_agent
        from agent_os.integrations.base import GovernancePolicy
        from agent_os.integrations.langchain_adapter import LangChainKernel

        @tool
        def drop_table(table: str) -> str:
            \"\"\"Drop a database table.\"\"\"
            return "dropped " + table

        @tool
        def shell(command: str) -> str:
            \"\"\"Run a shell command.\"\"\"
            return "ran " + command

        def build(*script, **policy):
            kernel = LangChainKernel(policy=GovernancePolicy(**policy))
            return create_agent(ChatFake(messages=iter(script)), [get_weather, drop_table, shell],
                                middleware=[kernel.as_middleware()], name="dba")

        # pre_execute (no Cedar/OPA): the check of tool name and arguments together denies drop_table(users)
        agent = build(ask(tool_call("get_weather", "call_ok", city="Paris")),
                      ask(tool_call("drop_table", "call_drop", table="users")), reply("done"),
                      blocked_patterns=["'tool_args': {'table': 'users'}"])
        try:
            agent.invoke({"messages": [("user", "clean up")]})
        except Exception as exc:
            print("denied:", type(exc).__name__)
        # the allowlist, checked by the middleware before pre_execute
        agent = build(ask(tool_call("shell", "call_shell", command="ls")), reply("done"),
                      allowed_tools=["get_weather"])
        try:
            agent.invoke({"messages": [("user", "list files")]})
        except Exception as exc:
            print("denied:", type(exc).__name__)
    """, instrument=("langchain", "agent_os"))
    assert t["stdout"].split() == ["denied:", "PolicyViolationError"] * 2
    audit = [r for r in t["logs"] if r["event_name"] == c.AUDIT_EVENT_NAME]
    spans = {s["id"]: s for s in t["spans"]}

    def decisions(tool: dict) -> list[str]:
        """The decisions recorded under a tool span, as policy.evaluate spans and as audit records."""
        checks = [s for s in children(t, tool) if s["name"] == "policy.evaluate"]
        records = [r for r in audit if r["span_id"] in {s["id"] for s in checks}]
        assert all(r["trace_id"] == tool["trace"] for r in records)
        assert sorted(r["body"]["decision"] for r in records) == sorted(
            s["attrs"]["agent_os.policy.decision"] for s in checks)
        return [s["attrs"]["agent_os.policy.decision"] for s in sorted(checks, key=lambda s: s["start"])]

    allowed = one(t, "execute_tool get_weather")
    assert allowed["status"] == "UNSET" and allowed["attrs"]["gen_ai.tool.call.id"] == "call_ok"
    assert decisions(allowed)[-1] == "allow" and "deny" not in decisions(allowed)
    assert spans[allowed["parent"]]["name"] == "invoke_agent dba"

    denied = one(t, "execute_tool drop_table")
    assert denied["status"] == "ERROR" and denied["attrs"]["error.type"] == "PolicyViolationError"
    assert decisions(denied)[-1] == "deny"
    assert denied["trace"] == allowed["trace"]

    blocked = one(t, "execute_tool shell")
    assert blocked["status"] == "ERROR" and blocked["attrs"]["error.type"] == "PolicyViolationError"
    assert decisions(blocked) == ["deny"], "the allowlist check (LangChainKernel._check_tool_policy) is not recorded"


def test_plain_graphs_direct_tools_and_batches(tmp_path):
    """A graph that is not an agent gets no agent span, an agent inside it gets one; a tool run on
    its own gets its span, and one whose error LangChain hands back as a message still ends in error."""
    t = run(tmp_path, """
        from typing import TypedDict
        from langchain_core.tools import ToolException
        from langgraph.graph import StateGraph
        from langgraph.prebuilt import create_react_agent

        inner = create_react_agent(ChatFake(messages=iter(["Hi."])), [get_weather], name="helper")

        class State(TypedDict):
            text: str

        def delegate(state):
            return {"text": inner.invoke({"messages": [("user", state["text"])]})["messages"][-1].content}

        graph = StateGraph(State)
        graph.add_node("delegate", delegate)
        graph.set_entry_point("delegate")
        print(graph.compile().invoke({"text": "hello"}))

        print(get_weather.invoke({"city": "Lima"}))
        print(asyncio.run(get_weather.ainvoke({"city": "Quito"})))

        @tool
        def flaky(x: int) -> str:
            \"\"\"Fails.\"\"\"
            raise ToolException("backend down")

        flaky.handle_tool_error = True
        print(flaky.invoke({"x": 1}))
        model = ChatFake(messages=iter(["a", "b"]))
        print([m.content for m in model.batch(["one", "two"])])
    """)
    assert t["stdout"].split("\n")[:5] == ["{'text': 'Hi.'}", "sunny in Lima", "sunny in Quito", "backend down",
                                           "['a', 'b']"]
    helper = one(t, "invoke_agent helper")
    assert helper["parent"] is None and subtree(t, helper) == ["chat fake-model"]
    assert [s["name"] for s in t["spans"] if "invoke_agent" in s["name"]] == ["invoke_agent helper"]
    assert [subtree(t, s) for s in named(t, "execute_tool get_weather")] == [["lookup Lima"], ["lookup Quito"]]
    flaky = one(t, "execute_tool flaky")
    assert flaky["status"] == "ERROR" and flaky["attrs"]["error.type"] == "ToolException"
    assert len([s for s in named(t, "chat fake-model") if s["parent"] is None]) == 2  # the batch: one per prompt


def test_uninstrument_restores_and_our_faults_never_reach_user_code(tmp_path):
    t = run(tmp_path, """
        from langchain_core.language_models.chat_models import BaseChatModel
        from langgraph.pregel import Pregel
        from langgraph.prebuilt import create_react_agent
        from agent_os_otel.instrumentation import genai
        from agent_os_otel.instrumentation.langchain import models, tools

        def scenario(tag):
            model = ChatFake(messages=iter([ask(tool_call("get_weather", city="Bern")), reply("Mild.")]))
            agent = create_react_agent(model, [get_weather], name=tag)
            streamed = "".join(c.content for c in ChatFake(messages=iter(["s t"])).stream("x"))
            return agent.invoke({"messages": [("user", "Bern?")]})["messages"][-1].content, streamed

        def broken(*args, **kwargs):
            raise RuntimeError("instrumentation bug")

        # our code fails after the spans started: while streaming, and reading results
        models.Stream.step = models.record = tools.ToolNodeCall.finish = tools.ToolRun.finish = broken
        print("late", scenario("late"))
        # ... and before anything started
        genai.start_model_call = genai.start_tool = genai.start_agent = broken
        print("early", scenario("early"))
        INSTRUMENTORS["langchain"].uninstrument()
        print("restored", hasattr(BaseChatModel._generate_with_cache, "__wrapped__"),
              hasattr(Pregel.stream, "__wrapped__"), scenario("plain"))
    """)
    assert t["stdout"].split("\n")[:3] == ["late ('Mild.', 's t')", "early ('Mild.', 's t')",
                                           "restored False False ('Mild.', 's t')"]
    # the late faults cost the response details, not the spans; then only the user's own spans remain
    assert sorted(s["name"] for s in t["spans"] if s["trace"] == one(t, "invoke_agent late")["trace"]) == sorted(
        ["invoke_agent late", "chat fake-model", "execute_tool get_weather", "lookup Bern", "chat fake-model"])
    assert all("gen_ai.response.finish_reasons" not in s["attrs"] for s in named(t, "chat fake-model"))
    assert len(named(t, "chat fake-model")) == 3 and len(named(t, "lookup Bern")) == 3
    assert len(t["spans"]) == 1 + 5 + 1 + 1 + 1  # create_agent, the late run, its stream, two more lookups
    warnings = [line for line in t["stderr"].splitlines() if "internal error in the langchain instrumentation" in line]
    assert warnings and len(warnings) == len(set(warnings)), warnings  # once per place
    assert all("instrumentation bug" in line for line in warnings)


def test_the_langgraph_example_under_opentelemetry_instrument(tmp_path):
    """examples/langgraph_agent.py, zero-code: one tree per run, Agent OS's checks under their tools, the
    refused tool's span an error, gen_ai.* metrics on /metrics, one audit record per decision."""
    run, metrics = run_example(tmp_path, "langgraph_agent.py", "gen_ai_client_token_usage_count")
    spans = {}
    for line in run.stderr.splitlines():
        if line.startswith("[span] "):
            fields = dict(part.split("=", 1) for part in line.split(" trace_id=", 1)[1].split(" ") if "=" in part)
            name = line[len("[span] "):line.index(" trace_id=")].rsplit(" ", 1)[0]  # without the duration
            spans[fields["span_id"]] = (name, fields["parent"], fields["status"])
    names = {span_id: name for span_id, (name, _, _) in spans.items()}

    def under(name: str) -> list[str]:
        return sorted(names[s] for s, (_, parent, _) in spans.items() if names.get(parent) == name)

    assert under("execute_tool web_search") == ["policy.evaluate"] * 2  # allowlist check + pre_execute
    assert under("execute_tool shell") == ["policy.evaluate"]
    assert [status for s, (_, _, status) in spans.items() if names[s] == "execute_tool shell"][0].startswith("ERROR")
    assert list(names.values()).count("invoke_agent analyst") == 2 and list(names.values()).count("chat scripted-gpt") == 4
    assert 'gen_ai_client_token_usage_sum{gen_ai_operation_name="chat"' in metrics
    audit = [json.loads(line) for line in (tmp_path / "agent-os-audit.jsonl").read_text().splitlines()]
    assert [(r["action"], r["decision"]) for r in audit if r["action"] == "shell"] == [("shell", "deny")]
