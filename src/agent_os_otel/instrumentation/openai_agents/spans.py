"""What each kind of Agents SDK span becomes in OpenTelemetry, and what its data adds when it ends.

    trace (Runner.run, or the user's ``with trace(...)``)  -> invoke_workflow {workflow name}
    agent                      -> invoke_agent {agent name}
    response, generation       -> chat {model}: the model span (the OpenAI SDK instrumentation enriches it)
    function                   -> execute_tool {tool name}
    handoff                    -> handoff {to agent}
    guardrail                  -> guardrail {guardrail name}
    custom                     -> {its name}
    task, turn, MCP listing, audio -> no span of their own: what happens inside hangs under the span above.

Spans are matched on ``span_data.type`` (a public string), so this module imports nothing from the SDK.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from ... import catalogue as c
from .. import genai
from ..openai.request import RESPONSES, chat_message, get, response_items
from ..openai.result import record as record_result

SETTINGS = (("temperature", c.ATTR_GEN_AI_REQUEST_TEMPERATURE), ("top_p", c.ATTR_GEN_AI_REQUEST_TOP_P),
            ("max_tokens", c.ATTR_GEN_AI_REQUEST_MAX_TOKENS),
            ("frequency_penalty", c.ATTR_GEN_AI_REQUEST_FREQUENCY_PENALTY),
            ("presence_penalty", c.ATTR_GEN_AI_REQUEST_PRESENCE_PENALTY))
"""(ModelSettings field, gen_ai.request.* attribute): the request parameters a model span carries."""
MODEL_SPANS = ("response", "generation")
GENAI_SPANS = ("agent", "function", *MODEL_SPANS)
"""The SDK spans that become GenAI operations (their span is the owner of its kind while current)."""


def _internal(tracer, name: str, attributes: dict[str, Any]) -> genai.Operation:
    """An INTERNAL span for a step the GenAI conventions have no operation for."""
    return genai.Operation("agent", tracer, name, {k: v for k, v in attributes.items() if v is not None})


def workflow(tracer, trace: Any) -> genai.Operation:
    name = getattr(trace, "name", None) or "workflow"
    return _internal(tracer, f"{c.OP_INVOKE_WORKFLOW} {name}", {
        c.ATTR_GEN_AI_OPERATION_NAME: c.OP_INVOKE_WORKFLOW, c.ATTR_GEN_AI_WORKFLOW_NAME: name,
        c.ATTR_GEN_AI_CONVERSATION_ID: getattr(trace, "group_id", None)})


def start(tracer, data: Any, tool_call: Any):
    """The operation for one SDK span (None: the span gets none). ``tool_call`` is what the tool
    executor knew about the call (id, description, arguments), for function spans."""
    kind = getattr(data, "type", None)
    if kind == "agent":
        return genai.start_agent(tracer, name=data.name, provider=c.PROVIDER_OPENAI)
    if kind == "function":
        op = genai.start_tool(tracer, name=data.name, call_id=get(tool_call, "call_id"),
                              description=get(tool_call, "description") or None)
        if op.capturing and tool_call is not None:
            op.capture(c.ATTR_GEN_AI_TOOL_CALL_ARGUMENTS, tool_call.arguments)
        return op
    if kind == "generation":  # Chat Completions: the SDK names the model and its settings up front
        config = data.model_config or {}
        url = urlsplit(str(config.get("base_url") or ""))
        return genai.start_model_call(tracer, operation=c.OP_CHAT, provider=c.PROVIDER_OPENAI, model=data.model,
                                      params=genai.request_params(config, SETTINGS),
                                      server_address=url.hostname, server_port=url.port)
    if kind == "response":  # Responses: the model is named once the request is built (hints.before_request)
        return genai.start_model_call(tracer, operation=c.OP_CHAT, provider=c.PROVIDER_OPENAI, model=None)
    if kind == "handoff":
        return _internal(tracer, c.SPAN_HANDOFF, {c.ATTR_HANDOFF_FROM_AGENT: data.from_agent})
    if kind == "guardrail":
        return _internal(tracer, f"{c.SPAN_GUARDRAIL} {data.name}", {c.ATTR_GUARDRAIL_NAME: data.name})
    if kind == "custom":
        return _internal(tracer, data.name, {})
    return None


def end(op, data: Any, tool_call: Any) -> None:
    """What the span's data says once it is finished."""
    kind = getattr(data, "type", None)
    if kind in MODEL_SPANS:
        _model_end(op, data)
    elif kind == "function" and op.capturing:
        if tool_call is None:
            op.capture(c.ATTR_GEN_AI_TOOL_CALL_ARGUMENTS, data.input)
        op.capture(c.ATTR_GEN_AI_TOOL_CALL_RESULT, data.output)
    elif kind == "handoff" and data.to_agent:
        op.set(c.ATTR_HANDOFF_TO_AGENT, data.to_agent)
        op.span.update_name(f"{c.SPAN_HANDOFF} {data.to_agent}")
    elif kind == "guardrail":
        op.set(c.ATTR_GUARDRAIL_TRIGGERED, bool(data.triggered))


def _model_end(op, data: Any) -> None:
    # usage is always there; the response and the messages only when the run's
    # trace_include_sensitive_data is on (the SDK's default)
    usage = data.usage or {}
    if usage.get("input_tokens") or usage.get("output_tokens"):  # 0 and 0: the stream reported no usage
        op.set_response(input_tokens=usage.get("input_tokens"), output_tokens=usage.get("output_tokens"))
    # A Responses call's response (complete, or the last event of its stream). A Chat Completions reply
    # was recorded when it arrived (hints.after_request); a streamed one the SDK reassembles into a
    # Response of placeholder id and model, so its details come only from the openai instrumentation.
    if data.type == "response" and data.response is not None:
        record_result(RESPONSES, op, data.response)
    if op.capturing:
        _capture_input(op, data)


def _capture_input(op, data: Any) -> None:
    if data.type == "generation":  # chat messages, the system message first
        if data.input:
            op.capture(c.ATTR_GEN_AI_INPUT_MESSAGES, [chat_message(m) for m in data.input])
        return
    instructions = get(data.response, "instructions")
    if isinstance(instructions, str):
        op.capture(c.ATTR_GEN_AI_SYSTEM_INSTRUCTIONS, [genai.text_part(instructions)])
    if data.input:
        op.capture(c.ATTR_GEN_AI_INPUT_MESSAGES, response_items(data.input))
