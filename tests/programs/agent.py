"""Test agent: one action with a policy check, a log line inside the span, a secret or two.

It ends with `harness.finish` (facts file, --hold). Planted text comes from AGENT_TEST_PLANT (a JSON list) so tests choose what to leak.
"""

import json
import logging
import os

from harness import finish
from opentelemetry import trace

from agent_os_otel import instruments, tracer

log = logging.getLogger("test.agent")


def main() -> None:
    planted = json.loads(os.environ.get("AGENT_TEST_PLANT", "[]"))
    with tracer.start_span("agent.execute") as span:
        span.set_attribute("agent_os.agent.id", "tester")
        for index, text in enumerate(planted):
            span.set_attribute(f"tool.argument.{index}", text)
            span.add_event("tool.output", {"text": text})
            log.warning("tool said %s", text, extra={"agent_id": "tester", "action": "call_tool"})
        with tracer.start_span("policy.evaluate") as child:
            child.set_attribute("agent_os.policy.decision", "allow")
            log.info("policy checked", extra={"agent_id": "tester", "decision": "allow", "duration_ms": 1.5})
            log.debug("debug detail")
        instruments.actions.add(1, {"agent_os.action": "call_tool"})
        instruments.action_duration.record(0.2, {"agent_os.action": "call_tool"})
    log.info("outside any span")
    if os.environ.get("AGENT_TEST_DECIDE"):  # one real policy decision, for the audit settings
        import asyncio

        from agent_os.stateless import ExecutionContext, StatelessKernel

        # a planted text as the tool argument: it lands in the span, the audit record's resource
        argument = {"path": planted[0]} if planted else {}
        asyncio.run(StatelessKernel().execute("file_write", argument,
                                              ExecutionContext(agent_id="t", policies=["read_only"])))
    provider = trace.get_tracer_provider()
    chat_spans = chat(planted) if os.environ.get("AGENT_TEST_CHAT") else []
    facts = {
        "chat_spans": chat_spans,
        "service_name": getattr(provider, "resource", None) and provider.resource.attributes.get("service.name"),
        "root_level": logging.getLevelName(logging.getLogger().level),
    }
    finish(facts)


def chat(planted: list[str]) -> list[dict]:
    """One LangChain chat model call (langchain-core's fake model) with the planted texts in the prompt
    and the answer; returns the model spans it produced, as exported."""
    from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
    from langchain_core.messages import AIMessage
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    exported = InMemorySpanExporter()
    trace.get_tracer_provider().add_span_processor(SimpleSpanProcessor(exported))
    # each planted text is one message of the prompt, and the model's answer repeats them all
    answer = AIMessage(content=" ".join(planted) or "done")
    GenericFakeChatModel(messages=iter([answer])).invoke([("user", text) for text in planted or ["hello"]])
    return [{"name": s.name, "scope": s.instrumentation_scope.name, "attrs": dict(s.attributes)}
            for s in exported.get_finished_spans() if s.attributes.get("gen_ai.operation.name") == "chat"]


if __name__ == "__main__":
    main()
