"""What every GenAI instrumentation records, in one place.

The framework packages (``langchain``, ``openai``, ``openai_agents``) only translate their framework's
objects into the calls below; the span shapes of the GenAI semantic conventions, the two
``gen_ai.client.*`` metrics, opt-in content capture and the no-duplicates rule live here.

No duplicates, one rule: **the outermost layer that sees a logical operation owns its span**. A
LangChain ``ChatOpenAI`` call opens the ``chat gpt-4o`` span; the OpenAI SDK call it makes underneath
finds that span open and only adds what it knows (response id, retries, usage) to it. The same holds
for tools (a LangGraph ToolNode and the ``BaseTool.run`` it calls) and agents (nested graphs). A span
of the same kind opened by another vendor's instrumentation is respected the same way: inside it we
record nothing, and while ours is open we set the context keys other vendors check to stay quiet.
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Iterable, Mapping, Sequence
from contextvars import ContextVar
from functools import lru_cache
from typing import Any

from opentelemetry import context, trace
from opentelemetry._logs import LogRecord, get_logger
from opentelemetry.trace import SpanKind, Status, StatusCode

from .. import catalogue as c
from .. import redaction, settings
from .guard import Guard
from ..instruments import instruments
from ..version import __version__

_log = logging.getLogger(__name__)

# Context keys other instrumentations check before recording a model call (OpenLLMetry's, and the
# one every OpenTelemetry contrib instrumentation honours for "this call is already covered").
_FOREIGN_SUPPRESS_KEYS = ("suppress_language_model_instrumentation",)
_SPAN_KIND_OF = {"model": SpanKind.CLIENT, "tool": SpanKind.INTERNAL, "agent": SpanKind.INTERNAL}
_open: dict[str, ContextVar[Operation | None]] = {
    kind: ContextVar(f"agent_os_otel_open_{kind}", default=None) for kind in _SPAN_KIND_OF
}
_events = get_logger(c.SCOPE_NAME + ".genai", __version__, schema_url=c.GEN_AI_SCHEMA_URL)


_tracers: dict[str, trace.Tracer] = {}


def use_tracer_provider(framework: str, provider: trace.TracerProvider | None) -> None:
    """``instrument(tracer_provider=...)``, as contrib instrumentors take it; the global provider when None.
    Looked up once, so a span does not go through the global proxy tracer each time."""
    _tracers[framework] = trace.get_tracer(f"{c.SCOPE_NAME}.{framework}", __version__, tracer_provider=provider,
                                           schema_url=c.GEN_AI_SCHEMA_URL)


def tracer_for(framework: str) -> trace.Tracer:
    """The tracer of one framework instrumentation (the global provider's unless instrument() was given
    one); its spans carry the pinned GenAI schema URL."""
    found = _tracers.get(framework)
    if found is None:
        use_tracer_provider(framework, None)
        found = _tracers[framework]
    return found


def error_type(exc: BaseException) -> str:
    """error.type for an exception: the HTTP status code when the SDK's error carries one (``"429"``, as
    semconv asks for HTTP failures; openai's and anthropic's APIStatusError do), else its class name."""
    status = getattr(exc, "status_code", None)
    if isinstance(status, int) and not isinstance(status, bool):
        return str(status)
    return type(exc).__qualname__


# -- content capture ------------------------------------------------------------------------------


@lru_cache(maxsize=8)
def _content_mode(raw: str) -> str:
    value = raw.strip().upper()
    if value in ("", "FALSE", "NO_CONTENT"):
        return "NO_CONTENT"
    if value == "TRUE":
        return "SPAN_AND_EVENT"
    if value in c.CONTENT_MODES:
        return value
    _log.warning("agent-os-otel: %s=%r is invalid. Fix: set it to one of %s (or true/false). "
                 "Capturing no content.", c.OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT, raw,
                 ", ".join(c.CONTENT_MODES))
    return "NO_CONTENT"


def content_mode() -> str:
    """NO_CONTENT unless OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT opts in (read on each call;
    an operation reads it once, see ``Operation.capturing``)."""
    return _content_mode(os.environ.get(c.OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT, ""))


def capturing() -> bool:
    """Whether content is captured at all: lets callers skip building messages nobody will see."""
    return content_mode() != "NO_CONTENT"


def _clean(text: str) -> str:
    """Redacted first, then cut: a cut never leaves half a secret behind."""
    redactor = redaction.active_redactor()
    if redactor is not None:
        text = redactor.redact(text)
    limit = settings.current()[c.AGENT_OS_OTEL_GENAI_CONTENT_MAX_LENGTH]
    if len(text) > limit:
        text = f"{text[:limit]}...[truncated {len(text) - limit} chars]"
    return text


def _clean_tree(value: Any) -> Any:
    if isinstance(value, str):
        return _clean(value)
    if isinstance(value, Mapping):
        return {str(k): _clean_tree(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean_tree(v) for v in value]
    if value is None or isinstance(value, (bool, int, float)):
        return value
    return _clean(str(value))


def message(role: str, *parts: Mapping[str, Any], finish_reason: str | None = None) -> dict:
    """One message in the semconv shape: {"role", "parts": [...]} (+ finish_reason on outputs)."""
    shaped: dict[str, Any] = {"role": role, "parts": [dict(p) for p in parts]}
    if finish_reason is not None:
        shaped["finish_reason"] = finish_reason
    return shaped


def text_part(content: Any) -> dict:
    return {"type": "text", "content": "" if content is None else str(content)}


def tool_call_part(call_id: Any, name: Any, arguments: Any) -> dict:
    return {"type": "tool_call", "id": call_id, "name": name, "arguments": arguments}


def tool_response_part(call_id: Any, response: Any) -> dict:
    return {"type": "tool_call_response", "id": call_id, "response": response}


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, default=str)


# -- operations ------------------------------------------------------------------------------------


class Activation:
    """``with op.active():`` the span is current, and the owner of its kind, while the block runs.

    A class rather than a generator-based context manager: wrappers enter one per call and per stream
    step, so it is on the hot path. With a ``guard``, a fault in entering or leaving is ours: logged
    once, and the wrapped code runs regardless.
    """

    __slots__ = ("_op", "_guard", "_where", "_tokens")

    def __init__(self, op: Operation | None, guard: Guard | None = None, where: str = "") -> None:
        self._op = op
        self._guard = guard
        self._where = where
        self._tokens = None

    # The guard's try/except is inlined: this runs around every call and every stream step.
    def __enter__(self):
        op = self._op
        if op is not None:
            try:
                self._tokens = context.attach(op.context), _open[op.kind].set(op)
            except Exception as exc:  # pylint: disable=broad-except - see _fault
                self._fault(exc)
        return op

    def __exit__(self, *exc_info) -> bool:
        tokens = self._tokens
        if tokens is not None:
            self._tokens = None
            try:
                _open[self._op.kind].reset(tokens[1])
                context.detach(tokens[0])
            except Exception as exc:  # pylint: disable=broad-except - see _fault
                self._fault(exc)
        return False

    def _fault(self, exc: Exception) -> None:
        """Guarded, our fault is logged once and the wrapped code goes on; unguarded, it is raised."""
        if self._guard is None:
            raise exc
        self._guard.report(self._where, exc)


class Operation:
    """One GenAI span: a model call, a tool execution or an agent invocation.

    ``active()`` makes the span current (and the owner of its kind) while the wrapped code runs; it
    can be entered several times, e.g. once per step of a stream. ``end()`` is idempotent and records
    the metrics of model calls.
    """

    def __init__(self, kind: str, tracer: trace.Tracer, name: str, attributes: dict[str, Any]) -> None:
        self.kind = kind
        self.started = time.perf_counter()
        self.attributes = attributes
        self.span = tracer.start_span(name, kind=_SPAN_KIND_OF[kind], attributes=attributes)
        self.context = trace.set_span_in_context(self.span)
        if kind == "model":  # only model calls: other vendors' model spans under our tools are theirs to make
            for key in _FOREIGN_SUPPRESS_KEYS:
                self.context = context.set_value(key, True, self.context)
        self.ended = False
        self._input_tokens: int | None = None
        self._output_tokens: int | None = None
        self._error_type: str | None = None
        self._captured: dict[str, str] = {}
        self._content_mode: str | None = None
        self._attempts = 0

    # -- context --
    def active(self, guard: Guard | None = None, where: str = "") -> Activation:
        return Activation(self, guard, where)

    def attach(self, owner: bool = True) -> tuple:
        """``active()`` for frameworks that report a span's start and end in two callbacks (a tracing
        processor): the span is current, and with ``owner`` the owner of its kind, until ``detach``."""
        # Without ownership the owner variable is set to its own value: its token still tells
        # detach() whether it runs in the Context (asyncio task, thread) that attached.
        return context.attach(self.context), _open[self.kind].set(self if owner else _open[self.kind].get())

    def detach(self, tokens: tuple) -> None:
        """Undo ``attach`` when it is still this span on top, in the Context that attached it; a span the
        framework ends in another task (or after something else was attached) leaves that context alone."""
        token, owner_token = tokens
        if context.get_current() is not self.context:
            return
        try:
            _open[self.kind].reset(owner_token)
        except ValueError:  # another Context: a task that inherited the span, not the one that attached it
            return
        context.detach(token)

    # -- what happened --
    @property
    def content_mode(self) -> str:
        """``content_mode()`` as this operation sees it: read at its first capture decision, then kept
        (an environment read costs more than all the rest of a capture decision)."""
        if self._content_mode is None:
            self._content_mode = content_mode()
        return self._content_mode

    @property
    def capturing(self) -> bool:
        """Whether this operation captures content: lets callers skip building messages nobody will see."""
        return self.content_mode != "NO_CONTENT"

    def set(self, key: str, value: Any) -> None:
        """One attribute, ignored when None (an SDK field the response did not carry)."""
        if value is not None and not self.ended:
            self.span.set_attribute(key, value)
            self.attributes[key] = value

    def set_response(self, *, model: str | None = None, response_id: str | None = None,
                     finish_reasons: Sequence[str] | None = None, input_tokens: int | None = None,
                     output_tokens: int | None = None) -> None:
        if self.ended:
            return
        if input_tokens is not None:
            self._input_tokens = input_tokens = int(input_tokens)
        if output_tokens is not None:
            self._output_tokens = output_tokens = int(output_tokens)
        fields = {c.ATTR_GEN_AI_RESPONSE_MODEL: model, c.ATTR_GEN_AI_RESPONSE_ID: response_id,
                  c.ATTR_GEN_AI_RESPONSE_FINISH_REASONS: tuple(map(str, finish_reasons)) if finish_reasons else None,
                  c.ATTR_GEN_AI_USAGE_INPUT_TOKENS: input_tokens, c.ATTR_GEN_AI_USAGE_OUTPUT_TOKENS: output_tokens}
        known = {key: value for key, value in fields.items() if value is not None}
        self.span.set_attributes(known)  # one call: the SDK takes its lock and checks limits once
        self.attributes.update(known)

    def retry(self, status_code: int | None, error: str | None) -> None:
        """A failed attempt the SDK is about to retry: one span event per attempt."""
        self._attempts += 1
        attributes: dict[str, Any] = {c.ATTR_RETRY_ATTEMPT: self._attempts}
        if status_code is not None:
            attributes[c.ATTR_HTTP_RESPONSE_STATUS_CODE] = int(status_code)
        if error is not None:
            attributes[c.ATTR_ERROR_TYPE] = error
        self.span.add_event(c.EVENT_GEN_AI_RETRY, attributes)

    def capture(self, attribute: str, value: Any) -> None:
        """Content (messages, instructions, tool arguments/results): only when opted in, redacted, capped."""
        if self.ended or value is None or not self.capturing:
            return
        text = _json(_clean_tree(value)) if not isinstance(value, str) else _clean(value)
        self._captured[attribute] = text
        if self.content_mode in ("SPAN_ONLY", "SPAN_AND_EVENT"):
            self.span.set_attribute(attribute, text)

    def fail(self, exc: BaseException) -> None:
        self.fail_with(error_type(exc), f"{type(exc).__name__}: {exc}")
        self.span.record_exception(exc)

    def fail_with(self, kind: str, description: str) -> None:
        self._error_type = kind
        self.span.set_attribute(c.ATTR_ERROR_TYPE, kind)
        self.span.set_status(Status(StatusCode.ERROR, description))

    def end(self, exc: BaseException | None = None) -> None:
        if self.ended:
            return
        if exc is not None:
            self.fail(exc)
        self.ended = True
        if self.kind == "model":
            self._record_metrics()
            self._emit_content_event()
        self.span.end()

    # -- internals --
    def _record_metrics(self) -> None:
        labels = {k: self.attributes[k] for k in (c.ATTR_GEN_AI_OPERATION_NAME, c.ATTR_GEN_AI_PROVIDER_NAME,
                                                   c.ATTR_GEN_AI_REQUEST_MODEL, c.ATTR_GEN_AI_RESPONSE_MODEL,
                                                   c.ATTR_SERVER_ADDRESS, c.ATTR_SERVER_PORT)
                  if self.attributes.get(k) is not None}
        if self._error_type:
            labels[c.ATTR_ERROR_TYPE] = self._error_type
        # in the operation's context, wherever end() runs (after a call, or as a stream is consumed): the
        # exemplars of a sampled trace point at this operation's span
        instruments.gen_ai_operation_duration.record(time.perf_counter() - self.started, labels, self.context)
        for token_type, count in (("input", self._input_tokens), ("output", self._output_tokens)):
            if count is not None:
                instruments.gen_ai_token_usage.record(count, {**labels, c.ATTR_GEN_AI_TOKEN_TYPE: token_type},
                                                      self.context)

    def _emit_content_event(self) -> None:
        if not self._captured or self.content_mode not in ("EVENT_ONLY", "SPAN_AND_EVENT"):
            return
        attributes = {k: self.attributes[k] for k in (c.ATTR_GEN_AI_OPERATION_NAME, c.ATTR_GEN_AI_PROVIDER_NAME,
                                                       c.ATTR_GEN_AI_REQUEST_MODEL, c.ATTR_GEN_AI_RESPONSE_ID)
                      if self.attributes.get(k) is not None}
        attributes.update(self._captured)
        _events.emit(LogRecord(event_name=c.EVENT_GEN_AI_OPERATION_DETAILS, context=self.context,
                               attributes=attributes))


class _Within:
    """What a layer gets when the operation is already another layer's span: it adds to that span
    (ours) or records nothing (another vendor's), and never ends it."""

    def __init__(self, owner: Operation | None) -> None:
        self.owner = owner
        self.span = owner.span if owner is not None else trace.get_current_span()

    def active(self, guard: Guard | None = None, where: str = "") -> Activation:
        return Activation(None, guard, where)

    @property
    def capturing(self) -> bool:
        return self.owner is not None and self.owner.capturing

    def set(self, key: str, value: Any) -> None:
        if self.owner is not None:
            self.owner.set(key, value)

    def set_response(self, **fields) -> None:
        if self.owner is not None:
            self.owner.set_response(**fields)

    def retry(self, status_code: int | None, error: str | None) -> None:
        if self.owner is not None:
            self.owner.retry(status_code, error)

    def capture(self, attribute: str, value: Any) -> None:
        if self.owner is not None and attribute not in self.owner._captured:  # pylint: disable=protected-access
            self.owner.capture(attribute, value)

    def fail(self, exc: BaseException) -> None:
        pass  # the owner sees the same exception when it propagates

    def fail_with(self, kind: str, description: str) -> None:
        pass

    def end(self, exc: BaseException | None = None) -> None:
        pass


def _foreign_span_of_kind(kind: str) -> bool:
    """Is the current span another vendor's span for the same kind of operation?"""
    span = trace.get_current_span()
    if not span.is_recording():
        return False
    scope = getattr(span, "instrumentation_scope", None)
    if scope is not None and scope.name.startswith(c.SCOPE_NAME):
        return False  # before the attributes: the SDK's span builds a new read-only view per read
    attributes = getattr(span, "attributes", None)
    if not attributes:
        return False
    operation = attributes.get(c.ATTR_GEN_AI_OPERATION_NAME) or attributes.get("llm.request.type")
    if kind == "model":
        return operation in c.MODEL_OPERATIONS or operation == "completion"
    if kind == "tool":
        return operation == c.OP_EXECUTE_TOOL
    return operation == c.OP_INVOKE_AGENT


def _start(kind: str, tracer: trace.Tracer, name: str, attributes: dict[str, Any], same) -> Operation | _Within:
    owner = _open[kind].get()
    if owner is not None and not owner.ended and same(owner):
        for key, value in attributes.items():  # what only the inner layer knows (server.address, ...)
            if value is not None and key not in owner.attributes:
                owner.set(key, value)
        return _Within(owner)
    if _foreign_span_of_kind(kind):
        return _Within(None)
    if kind == "model" and any(context.get_value(key) for key in _FOREIGN_SUPPRESS_KEYS):
        return _Within(None)  # another vendor's model span is open, though not current (OpenLLMetry's LangChain)
    return Operation(kind, tracer, name, {k: v for k, v in attributes.items() if v is not None})


def start_model_call(tracer: trace.Tracer, *, operation: str, provider: str | None, model: str | None,
                     params: Mapping[str, Any] | None = None, server_address: str | None = None,
                     server_port: int | None = None) -> Operation | _Within:
    """``{operation} {model}`` (CLIENT), unless a model span is already open in this context.

    ``params`` maps gen_ai.request.* attribute names (from the catalogue) to the request's values.
    """
    attributes = {c.ATTR_GEN_AI_OPERATION_NAME: operation, c.ATTR_GEN_AI_PROVIDER_NAME: provider,
                  c.ATTR_GEN_AI_REQUEST_MODEL: model, c.ATTR_SERVER_ADDRESS: server_address,
                  c.ATTR_SERVER_PORT: server_port, **(params or {})}
    name = f"{operation} {model}" if model else operation
    return _start("model", tracer, name, attributes, lambda owner: True)


def start_tool(tracer: trace.Tracer, *, name: str, call_id: str | None = None, tool_type: str | None = "function",
               description: str | None = None) -> Operation | _Within:
    """``execute_tool {name}`` (INTERNAL), unless this same tool call already has its span."""
    attributes = {c.ATTR_GEN_AI_OPERATION_NAME: c.OP_EXECUTE_TOOL, c.ATTR_GEN_AI_TOOL_NAME: name,
                  c.ATTR_GEN_AI_TOOL_CALL_ID: call_id, c.ATTR_GEN_AI_TOOL_TYPE: tool_type,
                  c.ATTR_GEN_AI_TOOL_DESCRIPTION: description}

    def same(owner: Operation) -> bool:
        owner_id = owner.attributes.get(c.ATTR_GEN_AI_TOOL_CALL_ID)
        return owner.attributes.get(c.ATTR_GEN_AI_TOOL_NAME) == name and (
            call_id is None or owner_id is None or owner_id == call_id)

    return _start("tool", tracer, f"{c.OP_EXECUTE_TOOL} {name}", attributes, same)


def start_agent(tracer: trace.Tracer, *, name: str | None, agent_id: str | None = None,
                provider: str | None = None, model: str | None = None, conversation_id: str | None = None,
                description: str | None = None, operation: str = c.OP_INVOKE_AGENT) -> Operation | _Within:
    """``invoke_agent {name}`` (or ``create_agent {name}``), unless this agent's span is already open."""
    attributes = {c.ATTR_GEN_AI_OPERATION_NAME: operation, c.ATTR_GEN_AI_AGENT_NAME: name,
                  c.ATTR_GEN_AI_AGENT_ID: agent_id, c.ATTR_GEN_AI_PROVIDER_NAME: provider,
                  c.ATTR_GEN_AI_REQUEST_MODEL: model, c.ATTR_GEN_AI_CONVERSATION_ID: conversation_id,
                  c.ATTR_GEN_AI_AGENT_DESCRIPTION: description}

    def same(owner: Operation) -> bool:
        return operation == c.OP_INVOKE_AGENT and owner.attributes.get(c.ATTR_GEN_AI_AGENT_NAME) == name

    span_name = f"{operation} {name}" if name else operation
    return _start("agent", tracer, span_name, attributes, same)


def open_operation(kind: str) -> Operation | None:
    """Our span of this kind ("model", "tool", "agent") that is current in this context, if any."""
    return _open[kind].get()


def request_params(values: Mapping[str, Any], names: Iterable[tuple[str, str]]) -> dict[str, Any]:
    """gen_ai.request.* attributes from a request's keyword arguments: ``names`` pairs (kwarg, attribute)."""
    params = {}
    for kwarg, attribute in names:
        value = values.get(kwarg)
        if value is None or (not isinstance(value, (str, bool, int, float, list, tuple))):
            continue
        if isinstance(value, str) and attribute == c.ATTR_GEN_AI_REQUEST_STOP_SEQUENCES:
            value = [value]
        params[attribute] = tuple(value) if isinstance(value, list) else value
    return params
