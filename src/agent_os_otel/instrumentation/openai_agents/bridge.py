"""The Agents SDK's own tracing, replayed into OpenTelemetry as it happens.

The SDK calls a trace processor synchronously, in the asyncio task where each of its spans starts and
ends. The bridge opens the matching OpenTelemetry span there (``spans`` says which) and makes it the
current context (and the GenAI owner of its kind) in that task until the SDK span ends, exactly as the
SDK makes its own span current. So whatever runs inside it sees it: the OpenAI SDK call under a model
span (whose instrumentation then enriches this span instead of opening a second one), RunHooks such as
Agent OS's ``on_tool_start`` under a tool span, the tool body, tasks the SDK spawns (they copy the
context). A span the SDK ends in another task, or after something else was made current on top of it,
is ended without touching any context (``Operation.detach``).

The OpenTelemetry parent is the bridged span of the SDK's parent (``parent_id``, else the trace), unless
the current context already lies inside that span's trace (a user's span inside a tool, say): then the
current context is the more precise parent.
"""

from __future__ import annotations

import sys
from contextlib import contextmanager
from typing import Any

from opentelemetry import context, trace

from ... import catalogue as c
from .. import genai
from ..guard import Guard
from . import hints, spans

guard = Guard("openai_agents")
_OTHER_BRIDGES = ("opentelemetry.instrumentation.",)
"""Module prefix of other vendors' processors that turn the same SDK spans into OpenTelemetry spans
(OpenLLMetry's opentelemetry-instrumentation-openai-agents, contrib's openai-agents-v2)."""


class _Record:
    """One bridged SDK span (or trace); a task/turn span shares its parent's record."""

    __slots__ = ("agent", "ambient", "op", "sdk_id", "tokens", "tool_call")

    def __init__(self, sdk_id: str, op, agent: _Record | None, tool_call: Any) -> None:
        self.sdk_id = sdk_id
        self.op = op
        self.tokens = None
        self.agent = agent
        self.tool_call = tool_call
        # An exception already being handled when the span started (Runner.run called in an except
        # block) is not this span's failure.
        self.ambient = sys.exc_info()[1]


class Bridge:
    """An Agents SDK ``TracingProcessor`` (duck-typed: defining it imports nothing from the SDK)."""

    def __init__(self) -> None:
        self.active = False
        self._records: dict[str, _Record] = {}
        self._models: dict[genai.Operation, _Record] = {}
        self._exceptions: dict[str, BaseException] = {}
        self._skipped: set[str] = set()

    # -- TracingProcessor --
    def on_trace_start(self, trace_: Any) -> None:
        guard.run("on_trace_start", self._trace_start, trace_)

    def on_trace_end(self, trace_: Any) -> None:
        guard.run("on_trace_end", self._end, trace_.trace_id, None)

    def on_span_start(self, span: Any) -> None:
        guard.run("on_span_start", self._span_start, span)

    def on_span_end(self, span: Any) -> None:
        guard.run("on_span_end", self._end, span.span_id, span)

    def shutdown(self) -> None:
        pass  # spans are exported by the OpenTelemetry SDK's processors, not here

    def force_flush(self) -> None:
        pass

    # -- for the hooks in hints --
    def owns_model(self, op: Any) -> bool:
        return op in self._models

    def model_known(self, op: genai.Operation) -> None:
        """The model span knows its model: so does its agent's span, if it did not yet."""
        agent = self._models[op].agent
        model = op.attributes.get(c.ATTR_GEN_AI_REQUEST_MODEL)
        if agent is not None and model and not agent.op.attributes.get(c.ATTR_GEN_AI_REQUEST_MODEL):
            agent.op.set(c.ATTR_GEN_AI_REQUEST_MODEL, model)

    def note_exception(self, sdk_id: str, exc: BaseException) -> None:
        if sdk_id in self._records:
            self._exceptions[sdk_id] = exc

    # -- internals --
    def _trace_start(self, trace_: Any) -> None:
        if not self.active:
            return
        if _other_bridge_registered():  # it records these spans already: two bridges would double them
            self._skipped.add(trace_.trace_id)
            return
        self._open(_Record(trace_.trace_id, spans.workflow(genai.tracer_for("openai_agents"), trace_), None, None), owner=False)

    def _span_start(self, span: Any) -> None:
        if not self.active or span.trace_id in self._skipped:
            return
        parent = self._records.get(span.parent_id) or self._records.get(span.trace_id)
        data = span.span_data
        kind = getattr(data, "type", None)
        tool_call = hints.take_tool_call() if kind == "function" else None
        with _under(parent):
            op = spans.start(genai.tracer_for("openai_agents"), data, tool_call)
        if op is None:  # no span of its own: its children belong to the parent's
            if parent is not None:
                self._records[span.span_id] = parent
            return
        record = _Record(span.span_id, op, parent.agent if parent is not None else None, tool_call)
        if kind == "agent" and isinstance(op, genai.Operation):
            record.agent = record
        self._open(record, owner=kind in spans.GENAI_SPANS)
        if kind in spans.MODEL_SPANS and isinstance(op, genai.Operation):
            self._models[op] = record
            self.model_known(op)

    def _open(self, record: _Record, owner: bool) -> None:
        self._records[record.sdk_id] = record
        if isinstance(record.op, genai.Operation):  # not when another layer's span covers the operation
            record.tokens = record.op.attach(owner)

    def _end(self, sdk_id: str, span: Any) -> None:
        self._skipped.discard(sdk_id)
        record = self._records.pop(sdk_id, None)
        noted = self._exceptions.pop(sdk_id, None)
        if record is None or record.sdk_id != sdk_id:
            return
        op = record.op
        self._models.pop(op, None)
        try:
            if span is not None:
                guard.run("span data", spans.end, op, span.span_data, record.tool_call)
            failure = _failure(span, noted, record.ambient)
            if isinstance(failure, BaseException):
                op.end(failure)
            else:
                if failure is not None:
                    op.fail_with(c.ERROR_TYPE_OTHER, failure)
                op.end()
        finally:  # whatever went wrong above, our context must not outlive the SDK's span
            if record.tokens is not None:
                op.detach(record.tokens)


@contextmanager
def _under(parent: _Record | None):
    """Make ``parent``'s span the context for creating a child, unless the current context is already
    inside that span's trace."""
    op = parent.op if parent is not None else None
    if not isinstance(op, genai.Operation) or (
            trace.get_current_span().get_span_context().trace_id == op.span.get_span_context().trace_id):
        yield
        return
    token = context.attach(op.context)
    try:
        yield
    finally:
        context.detach(token)


def _failure(span: Any, noted: BaseException | None, ambient: BaseException | None):
    """Why a span failed: the exception behind its SDK error or the one propagating through its end (the
    SDK ends spans in ``with`` exits and ``finally`` blocks), else the SDK error's message; None if it
    did not fail. A consumer closing a stream early (GeneratorExit) is not a failure."""
    in_flight = sys.exc_info()[1]
    if in_flight is ambient or isinstance(in_flight, GeneratorExit):
        in_flight = None
    error = getattr(span, "error", None)
    if error:
        return noted or in_flight or str(error.get("message") or "error")
    return in_flight


def _other_bridge_registered() -> bool:
    from agents.tracing import get_trace_provider  # pylint: disable=import-outside-toplevel - the SDK is loaded

    processors = getattr(getattr(get_trace_provider(), "_multi_processor", None), "_processors", ())
    return any(type(p).__module__.startswith(_OTHER_BRIDGES) for p in processors)


BRIDGE = Bridge()
"""The one processor of this process: registered once, switched on and off by the instrumentor."""
