"""What the SDK knows only outside its spans' data, handed to the bridge from three hook points:

* the tool executor knows the call id, description and arguments of the tool call a function span is
  for (``FunctionSpanData`` holds only the tool's name);
* a Responses model knows which model it asks only after its response span started
  (``ResponseSpanData`` holds no model), and its non-streamed reply carries id, model and finish reason
  even when the run keeps model data out of the SDK's spans;
* ``Span.set_error`` is called while the exception behind it is being handled: its class becomes
  ``error.type`` (``SpanError`` holds only a message).
"""

from __future__ import annotations

import sys
from contextvars import ContextVar
from typing import Any, NamedTuple

from ... import catalogue as c
from .. import genai
from ..openai.request import CHAT, RESPONSES
from ..openai.result import record as record_result
from .spans import SETTINGS


class ToolCall(NamedTuple):
    call_id: str | None
    description: str | None
    arguments: str | None


_tool_call: ContextVar[ToolCall | None] = ContextVar("agent_os_otel_openai_agents_tool_call", default=None)


def announce_tool_call(kwargs: dict):
    """Before the executor opens the function span of a call: remember the call (a token to forget it)."""
    call, tool = kwargs.get("tool_call"), kwargs.get("func_tool")
    return _tool_call.set(ToolCall(getattr(call, "call_id", None), getattr(tool, "description", None),
                                   getattr(call, "arguments", None)))


def forget_tool_call(token) -> None:
    _tool_call.reset(token)


def take_tool_call() -> ToolCall | None:
    """The announced call, once: a span nested deeper in the same call must not claim it too."""
    call = _tool_call.get()
    if call is not None:
        _tool_call.set(None)
    return call


def before_request(bridge, api: str, model: Any, args: tuple, kwargs: dict):
    """A model is about to send its request, inside its model span: name the model (Responses) and the
    request parameters on the span. Returns the span when it is the bridge's, for ``after_request``."""
    op = genai.open_operation("model")
    if not bridge.owns_model(op):
        return None
    if api == RESPONSES and not op.attributes.get(c.ATTR_GEN_AI_REQUEST_MODEL):
        name = str(model.model)
        op.set(c.ATTR_GEN_AI_REQUEST_MODEL, name)
        op.span.update_name(f"{c.OP_CHAT} {name}")
        settings = kwargs.get("model_settings", args[2] if len(args) > 2 else None)
        for attribute, value in genai.request_params({f: getattr(settings, f, None) for f, _ in SETTINGS},
                                                     SETTINGS).items():
            op.set(attribute, value)
        url = getattr(getattr(model, "_client", None), "base_url", None)
        op.set(c.ATTR_SERVER_ADDRESS, getattr(url, "host", None) or None)
        op.set(c.ATTR_SERVER_PORT, getattr(url, "port", None))
    bridge.model_known(op)
    return op


def after_request(api: str, op, result: Any) -> None:
    """A complete reply (not a stream: streams are read from the span data when the span ends)."""
    if getattr(result, "object", None) == ("response" if api == RESPONSES else "chat.completion"):
        record_result(RESPONSES if api == RESPONSES else CHAT, op, result)


def note_error(bridge, span: Any) -> None:
    """``Span.set_error`` was called: remember the exception being handled, if any, for error.type."""
    exc = sys.exc_info()[1]
    if exc is not None:
        bridge.note_exception(span.span_id, exc)
