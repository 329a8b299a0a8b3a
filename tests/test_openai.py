"""The OpenAI SDK instrumentation, driven by the real openai SDK over real HTTP against a local
OpenAI-compatible server (tests/support/openai_server.py), each program in its own interpreter."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from agent_os_otel import catalogue as c
from tests.support.openai_server import OpenAIServer, broken_stream, error, text, tool_call
from tests.support.run import ROOT, run_python
from tests.support.telemetry import children, named, run_program, tree

SECRET = "sk-proj-A8f3kQ9zL2mN7xR4tV6wY1bC5dE0gH"
MODEL_SPAN = "chat gpt-4o"


@pytest.fixture
def server():
    with OpenAIServer() as running:
        yield running


def run(tmp_path, server, body, instrument=("openai",), **env):
    return run_program(tmp_path, "import openai\n" + body, instrument=instrument, OPENAI_BASE_URL=server.base_url,
                       OPENAI_API_KEY="test-key", **env)


def model_spans(telemetry):
    return [s for s in telemetry["spans"] if s["attrs"].get(c.ATTR_GEN_AI_OPERATION_NAME) in c.MODEL_OPERATIONS
            or s["name"].startswith("openai.")]


def content_attributes(telemetry):
    return {k for s in telemetry["spans"] for k in s["attrs"] if k in c.GEN_AI_CONTENT_ATTRIBUTES}


def test_sync_calls_record_request_response_usage_and_metrics(tmp_path, server):
    server.script(text("Paris", input_tokens=12, output_tokens=3), tool_call("get_weather", {"city": "Paris"}),
                  text("Bonjour", input_tokens=7, output_tokens=2), tool_call("get_weather", {"city": "Oslo"}),
                  text("", input_tokens=4))
    telemetry = run(tmp_path, server, """
client = openai.OpenAI()
reply = client.chat.completions.create(
    model="gpt-4o", messages=[{"role": "user", "content": "Capital of France?"}], temperature=0.2, top_p=0.9,
    max_tokens=50, frequency_penalty=0.1, presence_penalty=0.3, stop="END", seed=7, n=1)
print("chat:", reply.choices[0].message.content)
reply = client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "Weather?"}],
                                       tools=[{"type": "function", "function": {"name": "get_weather"}}])
print("tool:", reply.choices[0].message.tool_calls[0].function.arguments)
reply = client.responses.create(model="gpt-4o", input="Say hello", max_output_tokens=20, temperature=0.5)
print("responses:", reply.output_text)
reply = client.responses.create(model="gpt-4o", input="Weather?",
                                tools=[{"type": "function", "name": "get_weather", "parameters": {}}])
print("responses tool:", reply.output[0].arguments)
print("embedding:", client.embeddings.create(model="text-embedding-3-small", input="hi").data[0].embedding)
""")
    assert telemetry["stdout"].strip().splitlines() == [
        "chat: Paris", 'tool: {"city": "Paris"}', "responses: Bonjour", 'responses tool: {"city": "Oslo"}',
        "embedding: [0.25, -0.5, 0.125]"]
    assert tree(telemetry) == [MODEL_SPAN] * 4 + ["embeddings text-embedding-3-small"]
    chat, tool, responses, responses_tool, embeddings = sorted(telemetry["spans"], key=lambda s: s["start"])
    port = int(server.base_url.split(":")[2].split("/")[0])
    assert chat["kind"] == "CLIENT" and chat["scope"] == "agent_os_otel.openai"
    assert chat["schema_url"] == c.GEN_AI_SCHEMA_URL and chat["status"] == "UNSET"
    assert chat["attrs"]["gen_ai.response.id"].startswith("chatcmpl-")
    assert {k: v for k, v in chat["attrs"].items() if k != "gen_ai.response.id"} == {
        "gen_ai.operation.name": "chat", "gen_ai.provider.name": "openai", "gen_ai.request.model": "gpt-4o",
        "server.address": "127.0.0.1", "server.port": port,
        "gen_ai.request.temperature": 0.2, "gen_ai.request.top_p": 0.9, "gen_ai.request.max_tokens": 50,
        "gen_ai.request.frequency_penalty": 0.1, "gen_ai.request.presence_penalty": 0.3,
        "gen_ai.request.stop_sequences": ["END"], "gen_ai.request.seed": 7,  # n=1 is the default: not recorded
        "gen_ai.response.model": "gpt-4o-2024-08-06", "gen_ai.response.finish_reasons": ["stop"],
        "gen_ai.usage.input_tokens": 12, "gen_ai.usage.output_tokens": 3}
    assert tool["attrs"]["gen_ai.response.finish_reasons"] == ["tool_calls"]
    assert responses["attrs"]["gen_ai.response.id"].startswith("resp_")
    assert responses["attrs"]["gen_ai.request.max_tokens"] == 20
    assert responses["attrs"]["gen_ai.response.finish_reasons"] == ["stop"]
    assert (responses["attrs"]["gen_ai.usage.input_tokens"], responses["attrs"]["gen_ai.usage.output_tokens"]) == (7, 2)
    assert responses_tool["attrs"]["gen_ai.response.finish_reasons"] == ["tool_calls"]
    assert embeddings["attrs"]["gen_ai.operation.name"] == "embeddings"
    assert embeddings["attrs"]["gen_ai.usage.input_tokens"] == 4
    # content is opt-in: nothing of the prompts, replies or tool arguments by default
    assert not content_attributes(telemetry) and not telemetry["logs"]
    assert "Paris" not in json.dumps(telemetry["spans"])

    durations = [p for p in telemetry["metrics"] if p["name"] == "gen_ai.client.operation.duration"]
    assert sum(p["count"] for p in durations) == 5
    assert all(p["unit"] == "s" and p["bounds"] == list(c.GEN_AI_DURATION) for p in durations)
    tokens = {(p["attrs"]["gen_ai.request.model"], p["attrs"]["gen_ai.token.type"]): p
              for p in telemetry["metrics"] if p["name"] == "gen_ai.client.token.usage"}
    assert tokens[("gpt-4o", "input")]["sum"] == 12 + 10 + 7 + 10
    assert tokens[("gpt-4o", "output")]["bounds"] == list(c.GEN_AI_TOKENS)
    assert tokens[("text-embedding-3-small", "input")]["sum"] == 4
    assert tokens[("gpt-4o", "input")]["attrs"]["gen_ai.response.model"] == "gpt-4o-2024-08-06"


def test_async_streams_and_helpers_nest_under_the_callers_span(tmp_path, server):
    server.script(text("one"), text("two"), text("streamed chat", input_tokens=9, output_tokens=4),
                  tool_call("get_weather", {"city": "Paris"}, input_tokens=8, output_tokens=6),
                  text("helper chat"), text("helper responses"), text("sync stream"))
    telemetry = run(tmp_path, server, """
from opentelemetry import trace
tracer = trace.get_tracer("user")
client, aclient = openai.OpenAI(), openai.AsyncOpenAI()
ask = [{"role": "user", "content": "hi"}]

def current():
    return trace.get_current_span().name

async def main():
    with tracer.start_as_current_span("request"):
        replies = await asyncio.gather(*(aclient.chat.completions.create(model="gpt-4o", messages=ask)
                                         for _ in range(2)))
        print("gathered:", sorted(r.choices[0].message.content for r in replies))
        stream = await aclient.chat.completions.create(model="gpt-4o", messages=ask, stream=True,
                                                       stream_options={"include_usage": True})
        print("async chat:", "".join([c.choices[0].delta.content or "" async for c in stream if c.choices]))
        async for event in await aclient.responses.create(model="gpt-4o", input="weather?", stream=True):
            assert current() == "request", current()  # our span is never current in the consumer's code
        async with aclient.chat.completions.stream(model="gpt-4o", messages=ask) as helper:
            print("helper chat:", (await helper.get_final_completion()).choices[0].message.content)
    with tracer.start_as_current_span("sync"):
        with client.responses.stream(model="gpt-4o", input="hi") as helper:
            print("helper responses:", helper.get_final_response().output_text)
        with client.chat.completions.create(model="gpt-4o", messages=ask, stream=True) as stream:
            for chunk in stream:
                assert current() == "sync", current()
        print("sync stream ok:", isinstance(stream, openai.Stream))

asyncio.run(main())
""")
    assert telemetry["stdout"].strip().splitlines() == [
        "gathered: ['one', 'two']", "async chat: streamed chat", "helper chat: helper chat",
        "helper responses: helper responses", "sync stream ok: True"]
    assert tree(telemetry) == ["request"] + ["  " + MODEL_SPAN] * 5 + ["sync"] + ["  " + MODEL_SPAN] * 2
    request, sync = named(telemetry, "request")[0], named(telemetry, "sync")[0]
    *_, chat_stream, responses_stream, helper = sorted(children(telemetry, request), key=lambda s: s["start"])
    assert chat_stream["attrs"]["gen_ai.request.stream"] is True
    assert (chat_stream["attrs"]["gen_ai.usage.input_tokens"], chat_stream["attrs"]["gen_ai.usage.output_tokens"]) \
        == (9, 4)
    assert chat_stream["attrs"]["gen_ai.response.finish_reasons"] == ["stop"]
    assert responses_stream["attrs"]["gen_ai.response.finish_reasons"] == ["tool_calls"]
    assert responses_stream["attrs"]["gen_ai.usage.output_tokens"] == 6
    assert responses_stream["attrs"]["gen_ai.response.id"].startswith("resp_")
    assert helper["attrs"]["gen_ai.response.finish_reasons"] == ["stop"]
    for span in children(telemetry, sync):
        assert span["status"] == "UNSET" and span["attrs"]["gen_ai.response.model"] == "gpt-4o-2024-08-06"


def test_a_retried_429_is_an_event_on_one_span(tmp_path, server):
    server.script(error(429), text("after the retry"), error(429), text("async after the retry"))
    telemetry = run(tmp_path, server, """
ask = dict(model="gpt-4o", messages=[{"role": "user", "content": "hi"}])
print(openai.OpenAI().chat.completions.create(**ask).choices[0].message.content)
print(asyncio.run(openai.AsyncOpenAI().chat.completions.create(**ask)).choices[0].message.content)
""")
    assert telemetry["stdout"].strip().splitlines() == ["after the retry", "async after the retry"]
    assert len(server.requests) == 4
    assert tree(telemetry) == [MODEL_SPAN, MODEL_SPAN]
    for span in telemetry["spans"]:
        assert span["status"] == "UNSET" and c.ATTR_ERROR_TYPE not in span["attrs"]
        assert span["events"] == [{"name": "gen_ai.client.retry", "attrs": {
            "gen_ai.client.retry.attempt": 1, "http.response.status_code": 429, "error.type": "429"}}]


def test_exhausted_retries_and_connection_errors_fail_the_span(tmp_path, server):
    server.script(error(500), error(500), error(500), error(429))
    telemetry = run(tmp_path, server, """
ask = dict(model="gpt-4o", messages=[{"role": "user", "content": "hi"}])
for client in (openai.OpenAI(), openai.OpenAI(max_retries=0),
               openai.OpenAI(base_url="http://127.0.0.1:9/v1", max_retries=1)):
    try:
        client.chat.completions.create(**ask)
    except openai.APIError as exc:
        print(type(exc).__name__)
""")
    assert telemetry["stdout"].split() == ["InternalServerError", "RateLimitError", "APIConnectionError"]
    server_error, rate_limited, unreachable = sorted(telemetry["spans"], key=lambda s: s["start"])
    assert server_error["status"] == "ERROR" and server_error["attrs"]["error.type"] == "500"
    assert [e["attrs"].get("http.response.status_code") for e in server_error["events"]
            if e["name"] == "gen_ai.client.retry"] == [500, 500]
    assert rate_limited["attrs"]["error.type"] == "429"
    assert not [e for e in rate_limited["events"] if e["name"] == "gen_ai.client.retry"]
    assert unreachable["attrs"]["error.type"] == "APIConnectionError"
    assert unreachable["attrs"]["server.port"] == 9
    [retry] = [e for e in unreachable["events"] if e["name"] == "gen_ai.client.retry"]
    assert retry["attrs"]["error.type"] == "ConnectError"  # the transport's error the SDK retried
    failed = {p["attrs"].get("error.type"): p["count"] for p in telemetry["metrics"]
              if p["name"] == "gen_ai.client.operation.duration"}
    assert failed == {"500": 1, "429": 1, "APIConnectionError": 1}


def test_streams_end_their_span_however_they_end(tmp_path, server):
    server.script(text("one two three"), text("dropped unread"), text("helper left early"),
                  text("async left early"), broken_stream(after_chunks=2), broken_stream(after_chunks=3))
    telemetry = run(tmp_path, server, """
import gc
from opentelemetry import trace
tracer = trace.get_tracer("user")
client, aclient = openai.OpenAI(), openai.AsyncOpenAI()
ask = dict(model="gpt-4o", messages=[{"role": "user", "content": "hi"}])

def step(name):
    tracer.start_span(name).end()  # a marker: spans ended before it ended before the program moved on

with client.chat.completions.create(stream=True, **ask) as stream:
    for chunk in stream:
        break
step("after with-break")
stream = client.chat.completions.create(stream=True, **ask)
next(iter(stream))
del stream
gc.collect()
step("after drop")
with client.chat.completions.stream(**ask) as helper:
    for event in helper:
        break
step("after helper")

async def main():
    async with await aclient.chat.completions.create(stream=True, **ask) as stream:
        async for chunk in stream:
            break
    step("after async")
    try:
        async for event in await aclient.responses.create(model="gpt-4o", input="hi", stream=True):
            pass
    except openai.APIConnectionError as exc:
        print("async broken:", type(exc).__name__)

asyncio.run(main())
try:
    for chunk in client.chat.completions.create(stream=True, **ask):
        pass
except openai.APIConnectionError as exc:
    print("broken:", type(exc).__name__)
""")
    assert telemetry["stdout"].strip().splitlines() == ["async broken: APIConnectionError", "broken: APIConnectionError"]
    spans = sorted(telemetry["spans"], key=lambda s: s["start"])
    markers = {s["name"]: s for s in spans if s["name"].startswith("after")}
    models = [s for s in spans if not s["name"].startswith("after")]
    assert len(models) == 6
    for model, marker in zip(models, ("after with-break", "after drop", "after helper", "after async")):
        assert model["end"] <= markers[marker]["start"], marker
        assert model["status"] == "UNSET" and model["attrs"]["gen_ai.response.id"].startswith("chatcmpl-")
    for broken in models[4:]:
        assert broken["status"] == "ERROR" and broken["attrs"]["error.type"] == "APIConnectionError"
    assert models[4]["name"] == MODEL_SPAN and models[4]["attrs"]["gen_ai.response.id"].startswith("resp_")


def test_content_is_captured_redacted_on_the_span_when_opted_in(tmp_path, server):
    server.script(tool_call("get_weather", {"city": "Paris"}), text("It is sunny"),
                  text("Noted", input_tokens=3), text("streamed reply"))
    telemetry = run(tmp_path, server, f"""
client = openai.OpenAI()
messages = [{{"role": "system", "content": "You are terse."}},
            {{"role": "user", "content": "My key is {SECRET}; what is the weather in Paris?"}}]
reply = client.chat.completions.create(model="gpt-4o", messages=messages)
call = reply.choices[0].message.tool_calls[0]
messages += [reply.choices[0].message, {{"role": "tool", "tool_call_id": call.id, "content": "sunny"}}]
client.chat.completions.create(model="gpt-4o", messages=messages)
client.responses.create(model="gpt-4o", instructions="Be brief.", input=[{{"role": "user", "content": "Remember {SECRET}"}}])
for chunk in client.chat.completions.create(model="gpt-4o", messages=messages[:2], stream=True):
    pass
""", OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT="SPAN_ONLY")
    assert SECRET not in json.dumps(telemetry)
    first, second, responses, streamed = sorted(telemetry["spans"], key=lambda s: s["start"])
    inputs = json.loads(first["attrs"][c.ATTR_GEN_AI_INPUT_MESSAGES])
    assert [m["role"] for m in inputs] == ["system", "user"]
    assert "what is the weather in Paris?" in inputs[1]["parts"][0]["content"]
    assert "sk-proj-" not in inputs[1]["parts"][0]["content"]
    assert json.loads(first["attrs"][c.ATTR_GEN_AI_OUTPUT_MESSAGES]) == [{
        "role": "assistant", "finish_reason": "tool_calls",
        "parts": [{"type": "tool_call", "id": "call_1", "name": "get_weather", "arguments": {"city": "Paris"}}]}]
    history = json.loads(second["attrs"][c.ATTR_GEN_AI_INPUT_MESSAGES])
    assert history[2]["parts"] == [
        {"type": "tool_call", "id": "call_1", "name": "get_weather", "arguments": {"city": "Paris"}}]
    assert history[3] == {"role": "tool", "parts": [
        {"type": "tool_call_response", "id": "call_1", "response": "sunny"}]}
    assert json.loads(second["attrs"][c.ATTR_GEN_AI_OUTPUT_MESSAGES])[0]["parts"] == [
        {"type": "text", "content": "It is sunny"}]
    assert json.loads(responses["attrs"][c.ATTR_GEN_AI_SYSTEM_INSTRUCTIONS]) == [
        {"type": "text", "content": "Be brief."}]
    assert "Remember" in responses["attrs"][c.ATTR_GEN_AI_INPUT_MESSAGES]
    assert json.loads(streamed["attrs"][c.ATTR_GEN_AI_OUTPUT_MESSAGES]) == [{
        "role": "assistant", "finish_reason": "stop", "parts": [{"type": "text", "content": "streamed reply"}]}]
    assert not telemetry["logs"]  # SPAN_ONLY: no events


def test_content_goes_to_an_event_only_when_asked(tmp_path, server):
    server.script(text("Noted"))
    telemetry = run(tmp_path, server, f"""
openai.OpenAI().chat.completions.create(model="gpt-4o", messages=[{{"role": "user", "content": "Remember {SECRET}"}}])
""", OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT="EVENT_ONLY")
    [span] = telemetry["spans"]
    assert not content_attributes(telemetry)
    [event] = telemetry["logs"]
    assert event["event_name"] == c.EVENT_GEN_AI_OPERATION_DETAILS and event["span_id"] == span["id"]
    assert "Remember" in event["attrs"][c.ATTR_GEN_AI_INPUT_MESSAGES]
    assert "Noted" in event["attrs"][c.ATTR_GEN_AI_OUTPUT_MESSAGES]
    assert event["attrs"]["gen_ai.response.id"] == span["attrs"]["gen_ai.response.id"]
    assert SECRET not in json.dumps(telemetry)


def test_an_outer_model_span_of_ours_is_enriched_not_duplicated(tmp_path, server):
    server.script(error(429), text("via the outer layer", input_tokens=5, output_tokens=2), text("streamed"))
    telemetry = run(tmp_path, server, """
from agent_os_otel.instrumentation import genai
outer = genai.tracer_for("langchain")  # what LangChain's ChatOpenAI (or the Agents SDK bridge) does around the SDK
client = openai.OpenAI()
for stream in (False, True):
    op = genai.start_model_call(outer, operation="chat", provider="openai", model="gpt-4o")
    with op.active():
        reply = client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "hi"}],
                                               stream=stream, stream_options={"include_usage": True} if stream else None)
        if stream:
            for chunk in reply:
                pass
    op.end()
""")
    assert tree(telemetry) == [MODEL_SPAN, MODEL_SPAN]
    plain, streamed = sorted(telemetry["spans"], key=lambda s: s["start"])
    assert {plain["scope"], streamed["scope"]} == {"agent_os_otel.langchain"}
    assert plain["attrs"]["gen_ai.response.id"].startswith("chatcmpl-")
    assert (plain["attrs"]["gen_ai.usage.input_tokens"], plain["attrs"]["gen_ai.usage.output_tokens"]) == (5, 2)
    assert [e["attrs"]["http.response.status_code"] for e in plain["events"]] == [429]
    assert streamed["attrs"]["gen_ai.response.finish_reasons"] == ["stop"]
    assert streamed["attrs"]["gen_ai.usage.output_tokens"] == 5


def test_raw_responses_as_langchain_makes_them_are_recorded(tmp_path, server):
    server.script(text("via langchain", input_tokens=6, output_tokens=2), text("raw stream", output_tokens=4))
    telemetry = run(tmp_path, server, """
from langchain_openai import ChatOpenAI
print(ChatOpenAI(model="gpt-4o").invoke("hi").content)  # ChatOpenAI calls with_raw_response.create, then parse()
raw = openai.OpenAI().chat.completions.with_raw_response.create(
    model="gpt-4o", messages=[{"role": "user", "content": "hi"}], stream=True, stream_options={"include_usage": True})
stream = raw.parse()
print(type(raw).__name__, isinstance(stream, openai.Stream), stream is raw.parse())
print("".join(c.choices[0].delta.content or "" for c in stream if c.choices))
""")
    assert telemetry["stdout"].strip().splitlines() == ["via langchain", "LegacyAPIResponse True True", "raw stream"]
    invoked, streamed = sorted(telemetry["spans"], key=lambda s: s["start"])
    assert invoked["attrs"]["gen_ai.response.id"].startswith("chatcmpl-")
    assert (invoked["attrs"]["gen_ai.usage.input_tokens"], invoked["attrs"]["gen_ai.usage.output_tokens"]) == (6, 2)
    assert streamed["attrs"]["gen_ai.response.finish_reasons"] == ["stop"]
    assert streamed["attrs"]["gen_ai.usage.output_tokens"] == 4


def test_uninstrument_restores_the_sdk(tmp_path, server):
    server.script(text("traced"), text("plain"))
    telemetry = run(tmp_path, server, """
from openai.resources.chat.completions.completions import Completions
client = openai.OpenAI()
ask = dict(model="gpt-4o", messages=[{"role": "user", "content": "hi"}])
print(client.chat.completions.create(**ask).choices[0].message.content)
INSTRUMENTORS["openai"].uninstrument()
print(type(Completions.__dict__["create"]).__name__)
stream = client.chat.completions.create(stream=True, **ask)
print(type(stream).__name__, "".join(c.choices[0].delta.content or "" for c in stream))
""")
    assert telemetry["stdout"].split() == ["traced", "function", "Stream", "plain"]
    assert len(telemetry["spans"]) == 1


def test_a_fault_in_our_code_never_reaches_the_user(tmp_path, server):
    server.script(text("still answered"), text("streamed anyway"), text("recorded anyway"))
    telemetry = run(tmp_path, server, """
from agent_os_otel.instrumentation.openai import request, result

def broken(*args, **kwargs):
    raise RuntimeError("instrumentation bug")

client = openai.OpenAI()
ask = dict(model="gpt-4o", messages=[{"role": "user", "content": "hi"}])
real_start, request.start = request.start, broken
print(client.chat.completions.create(**ask).choices[0].message.content)
request.start = real_start
result.ChatChunks.add = broken
print("".join(c.choices[0].delta.content or "" for c in client.chat.completions.create(stream=True, **ask)))
result.record = broken
print(client.chat.completions.create(**ask).choices[0].message.content)
""")
    assert telemetry["stdout"].strip().splitlines() == ["still answered", "streamed anyway", "recorded anyway"]
    warnings = [line for line in telemetry["stderr"].splitlines() if "internal error in the openai" in line]
    assert len(warnings) == 3, telemetry["stderr"]
    assert len(telemetry["spans"]) == 2  # the stream's and the last call's spans still end


@pytest.fixture(scope="module")
def openllmetry(tmp_path_factory):
    """OpenLLMetry's OpenAI instrumentation (same entry point name as ours), beside ours for PYTHONPATH."""
    target = tmp_path_factory.mktemp("openllmetry")
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(target),
                    "opentelemetry-instrumentation-openai", "opentelemetry-semantic-conventions-ai"], check=True)
    return target


@pytest.mark.parametrize("first", ["ours", "theirs"])
def test_with_openllmetry_installed_too_each_call_has_one_model_span(tmp_path, server, openllmetry, first):
    telemetry = run(tmp_path, server, f"""
from opentelemetry.instrumentation.openai import OpenAIInstrumentor as Theirs
from agent_os_otel.instrumentation.openai import OpenAIInstrumentor as Ours
for instrumentor in ((Ours, Theirs) if {first!r} == "ours" else (Theirs, Ours)):
    instrumentor().instrument()
client = openai.OpenAI()
ask = dict(model="gpt-4o", messages=[{{"role": "user", "content": "hi"}}])

def calls():
    client.chat.completions.create(**ask)
    client.responses.create(model="gpt-4o", input="hi")
    for _ in client.chat.completions.create(stream=True, **ask):
        pass
    for _ in client.responses.create(model="gpt-4o", input="hi", stream=True):
        pass

calls()
Ours().uninstrument()
from openai.resources.responses.responses import Responses
from agent_os_otel.instrumentation.patching import foreign_instrumentation, wrapped_by_us
print(wrapped_by_us(Responses, "create"), foreign_instrumentation(Responses, "create"))
calls()  # theirs alone, still working
""", instrument=(), PYTHONPATH=str(openllmetry))
    assert telemetry["stdout"].split() == ["False", "True"]  # ours taken out from under or over theirs
    assert len(server.requests) == 8
    assert len(model_spans(telemetry)) == 8, tree(telemetry)
    assert {s["scope"] for s in telemetry["spans"]} == {"opentelemetry.instrumentation.openai.v1"}


def test_genai_spans_go_to_the_tracer_provider_given_to_instrument(tmp_path, server):
    """instrument(tracer_provider=...), as contrib instrumentors take it: the global provider gets nothing."""
    server.script(text("Paris"))
    program = f"""
import json, sys
sys.path.insert(0, {str(ROOT)!r})
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from agent_os_otel.instrumentation.langchain import LangChainInstrumentor
from agent_os_otel.instrumentation.openai import OpenAIInstrumentor
own, everyone = InMemorySpanExporter(), InMemorySpanExporter()
for exporter, provider in ((own, TracerProvider()), (everyone, TracerProvider())):
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    if exporter is own:
        OpenAIInstrumentor().instrument(tracer_provider=provider)
        LangChainInstrumentor().instrument(tracer_provider=provider)
    else:
        trace.set_tracer_provider(provider)
import openai
from tests.support.langchain_fakes import ChatFake, reply
openai.OpenAI(base_url={server.base_url!r}, api_key="k").chat.completions.create(
    model="gpt-4o", messages=[{{"role": "user", "content": "Capital?"}}])
ChatFake(messages=iter([reply("Oslo")])).invoke("Capital?")
print(json.dumps([[s.name for s in e.get_finished_spans()] for e in (own, everyone)]))
"""
    done = run_python(tmp_path, program)
    assert done.returncode == 0, done.stderr
    own, everyone = json.loads(done.stdout.strip().splitlines()[-1])
    assert sorted(own) == ["chat fake-model", MODEL_SPAN] and everyone == []


def test_metric_exemplars_point_at_the_model_call_span(tmp_path, server):
    """A sampled call's duration and token exemplars link to its own chat span, streamed or not."""
    server.script(text("Paris", input_tokens=5, output_tokens=2), text("Oslo", input_tokens=5, output_tokens=2))
    program = f"""
import json
from opentelemetry import metrics, trace
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
spans, reader, provider = InMemorySpanExporter(), InMemoryMetricReader(), TracerProvider()
provider.add_span_processor(SimpleSpanProcessor(spans))
trace.set_tracer_provider(provider)
metrics.set_meter_provider(MeterProvider(metric_readers=[reader]))
from agent_os_otel.instrumentation.openai import OpenAIInstrumentor
OpenAIInstrumentor().instrument()
import openai
client = openai.OpenAI(base_url={server.base_url!r}, api_key="k")
with trace.get_tracer("app").start_as_current_span("request"):
    for _ in client.chat.completions.create(model="gpt-4o", messages=[{{"role": "user", "content": "Capital?"}}],
                                            stream=True, stream_options={{"include_usage": True}}):
        pass
    client.chat.completions.create(model="gpt-4o", messages=[{{"role": "user", "content": "Capital?"}}])
exemplars = {{m.name: sorted({{format(e.span_id, "016x") for p in m.data.data_points for e in p.exemplars}})
             for rm in reader.get_metrics_data().resource_metrics for sm in rm.scope_metrics for m in sm.metrics}}
chats = [format(s.context.span_id, "016x") for s in spans.get_finished_spans() if s.name == {MODEL_SPAN!r}]
print(json.dumps([exemplars, chats]))
"""
    done = run_python(tmp_path, program)
    assert done.returncode == 0, done.stderr
    exemplars, (streamed, plain) = json.loads(done.stdout.strip().splitlines()[-1])
    # one exemplar per histogram bucket, the latest: the plain call's (same token counts, so the same buckets)
    # is its own span, not the "request" span that is current when its metrics are recorded
    for name in (c.GEN_AI_OPERATION_DURATION.name, c.GEN_AI_TOKEN_USAGE.name):
        assert plain in exemplars[name] and set(exemplars[name]) <= {streamed, plain}, name
