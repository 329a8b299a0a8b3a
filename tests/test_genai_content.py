"""Prompt and completion content: absent by default; with OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT,
present, redacted and capped, on spans and events, and no secret of the corpus leaves the process.

A real program under `opentelemetry-instrument` (tests/programs/agent.py, AGENT_TEST_CHAT: one LangChain
chat model call, each planted text a message of the prompt, the answer repeating them), exported over
OTLP to a real receiver; what arrives on the wire is searched byte for byte.
"""

import json

from tests.support.run import clean_env, run_instrumented

CONTENT = ("gen_ai.input.messages", "gen_ai.output.messages")


def run_chat(tmp_path, receiver, planted: list[str], **env):
    environment = clean_env(OTEL_EXPORTER_OTLP_ENDPOINT=receiver.endpoint, AGENT_OS_OTEL_PROMETHEUS_PORT="0",
                            AGENT_TEST_CHAT="1", AGENT_TEST_PLANT=json.dumps(planted), **env)
    run = run_instrumented(tmp_path, environment)
    assert run.returncode == 0, run.stderr
    assert receiver.wait_for(lambda: any(s.name == "chat" for s in receiver.spans()))
    [chat] = run.facts["chat_spans"]
    return run, chat


def exported_chat(receiver) -> dict:
    """The chat span's attributes as they arrived over OTLP."""
    [span] = [s for s in receiver.spans() if s.name == "chat"]
    return {a.key: a.value.string_value for a in span.attributes}


def content_events(receiver) -> list:
    return [r for r in receiver.log_records() if r.event_name == "gen_ai.client.inference.operation.details"]


def test_no_content_by_default(tmp_path, receiver):
    run, chat = run_chat(tmp_path, receiver, ["what is the capital of France?"])
    assert not set(CONTENT) & set(chat["attrs"]), chat
    assert not set(CONTENT) & set(exported_chat(receiver))
    assert content_events(receiver) == []


def test_opted_in_content_is_captured_redacted_and_no_corpus_secret_leaves(tmp_path, receiver, secrets_corpus):
    texts = [entry["text"] for entry in secrets_corpus]
    run, chat = run_chat(tmp_path, receiver, [*texts, "what is the capital of France?"],
                         OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT="SPAN_AND_EVENT",
                         AGENT_OS_OTEL_GENAI_CONTENT_MAX_LENGTH="100000")
    inputs = json.loads(chat["attrs"]["gen_ai.input.messages"])
    assert len(inputs) == len(texts) + 1 and inputs[-1]["parts"][0]["content"] == "what is the capital of France?"
    assert "[REDACTED:" in chat["attrs"]["gen_ai.output.messages"]
    assert receiver.wait_for(lambda: content_events(receiver))
    sinks = {"in-process span": json.dumps(chat), "OTLP wire": b"".join(receiver.raw).decode("utf-8", "replace"),
             "stdout": run.stdout, "stderr": run.stderr}
    leaks = [(sink, entry["kind"], entry["secret"]) for entry in secrets_corpus
             for sink, text in sinks.items() if entry["secret"] in text]
    assert leaks == []
    # captured indeed, on the span and in the event: only the secrets are gone
    assert "capital of France" in exported_chat(receiver)["gen_ai.input.messages"]
    assert "capital of France" in {a.key: a.value.string_value for a in content_events(receiver)[0].attributes}[
        "gen_ai.input.messages"]


def test_length_cap_applies_to_each_captured_text(tmp_path, receiver):
    run, chat = run_chat(tmp_path, receiver, ["x" * 500, "short"], OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT="SPAN_ONLY",
                         AGENT_OS_OTEL_GENAI_CONTENT_MAX_LENGTH="64")
    contents = [m["parts"][0]["content"] for m in json.loads(chat["attrs"]["gen_ai.input.messages"])]
    assert contents == ["x" * 64 + "...[truncated 436 chars]", "short"]
    assert content_events(receiver) == []  # SPAN_ONLY: no event


def test_a_bad_capture_value_is_one_clear_line_and_captures_nothing(tmp_path, receiver):
    run, chat = run_chat(tmp_path, receiver, ["hello"], OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT="everything")
    lines = [line for line in (run.stdout + run.stderr).splitlines()
             if "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT" in line]
    assert len(lines) == 1 and "Fix:" in lines[0] and "SPAN_ONLY" in lines[0], lines
    assert not set(CONTENT) & set(chat["attrs"])
