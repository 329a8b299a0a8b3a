"""OpenTelemetry instrumentation for LangChain and LangGraph (GenAI semantic conventions).

Active with no code change under ``opentelemetry-instrument`` (entry point ``langchain``), or::

    from agent_os_otel.instrumentation.langchain import LangChainInstrumentor
    LangChainInstrumentor().instrument()

What it records:

- ``chat {model}`` for every chat model call (invoke, ainvoke, batch, stream, astream), with the
  provider and model from the model's LangSmith params, usage and finish reasons from the response
  (`models`);
- ``execute_tool {name}`` for every tool call, opened by LangGraph's ToolNode outside its
  ``wrap_tool_call`` middleware, so policy checks made there nest under the tool (`tools`);
- ``invoke_agent {name}`` for each run of an agent built by ``create_react_agent`` or
  ``create_agent``, and ``create_agent {name}`` when one is built (`agents`).

Precedence: this layer is the outer one. A ``ChatOpenAI`` call opens its ``chat gpt-4o`` span here
and keeps it current (the owner, in the sense of `genai`) while LangChain runs the provider call,
each stream step included; the OpenAI SDK instrumentation underneath finds it open and only adds
what it knows, so with both on there is one span per call. Another vendor's LangChain
instrumentation (OpenLLMetry's ``opentelemetry-instrumentation-langchain``, which records through
LangChain callbacks and does not look for spans already open) cannot be told to stay quiet, so while
it is instrumented this one steps aside entirely: one span per operation, theirs.
"""

from __future__ import annotations

import functools
import importlib
import sys
from collections.abc import Collection


from .. import genai
from ..guard import Guard
from ..patching import PatchingInstrumentor
from .package import _instruments

# (module, attribute path, hook "module:Class" in this package). Hooks are imported when the
# framework module is, so a program that never imports LangChain never imports them either.
_CALLS = (
    ("langchain_core.language_models.chat_models", "BaseChatModel._generate_with_cache", "models:ModelCall"),
    ("langchain_core.language_models.chat_models", "BaseChatModel._agenerate_with_cache", "models:ModelCall"),
    ("langchain_core.tools.base", "BaseTool.run", "tools:ToolRun"),
    ("langchain_core.tools.base", "BaseTool.arun", "tools:ToolRun"),
    ("langgraph.prebuilt.tool_node", "ToolNode._run_one", "tools:ToolNodeCall"),
    ("langgraph.prebuilt.tool_node", "ToolNode._arun_one", "tools:ToolNodeCall"),
    # the factories are re-exported by their packages: patch both names
    ("langgraph.prebuilt.chat_agent_executor", "create_react_agent", "agents:Factory"),
    ("langgraph.prebuilt", "create_react_agent", "agents:Factory"),
    ("langchain.agents.factory", "create_agent", "agents:Factory"),
    ("langchain.agents", "create_agent", "agents:Factory"),
)
# Generator methods: the span stays open until the consumer is done with the stream.
_STREAMS = (
    ("langchain_core.language_models.chat_models", "BaseChatModel.stream", "models:ModelStream"),
    ("langchain_core.language_models.chat_models", "BaseChatModel.astream", "models:ModelStream"),
    ("langgraph.pregel.main", "Pregel.stream", "agents:AgentRun"),
    ("langgraph.pregel.main", "Pregel.astream", "agents:AgentRun"),
)
# Functions whose arguments we only look at.
_OBSERVERS = (
    ("langchain_core.tools.base", "_handle_tool_error", "tools:handled_tool_error"),
    ("langchain_core.tools.base", "_handle_validation_error", "tools:handled_tool_error"),
    ("langgraph.prebuilt.tool_node", "_handle_tool_error", "tools:handled_tool_error"),
)
_ASYNC = ("arun", "_arun_one", "_agenerate_with_cache", "astream")

guard = Guard("langchain")


def _other_vendor_active() -> bool:
    """Is OpenLLMetry's LangChain instrumentor instrumenting? (BaseInstrumentor is a singleton.)"""
    module = sys.modules.get("opentelemetry.instrumentation.langchain")
    instrumentor = getattr(getattr(module, "LangchainInstrumentor", None), "_instance", None)
    return bool(getattr(instrumentor, "is_instrumented_by_opentelemetry", False))


def _active(where: str, op):
    """``op.active()`` (nothing for no op), except that a fault in it is ours: the wrapped code runs regardless."""
    op = getattr(op, "op", op)  # a factory's Creation holds its operation
    return genai.Activation(op if isinstance(op, genai.Operation) else None, guard, where)


def _start(where: str, hook, instance, args, kwargs):
    if _other_vendor_active():
        return None
    return guard.run(where, hook.start, instance, args, kwargs)


def _call(where: str, hook, is_async: bool):
    def wrapper(wrapped, instance, args, kwargs):
        op = _start(where, hook, instance, args, kwargs)
        if op is None:
            return wrapped(*args, **kwargs)
        try:
            with _active(where, op):
                result = wrapped(*args, **kwargs)
        except BaseException as exc:
            guard.run(where, op.end, exc)
            raise
        guard.run(where, hook.finish, op, result)
        guard.run(where, op.end)
        return result

    async def async_wrapper(wrapped, instance, args, kwargs):
        op = _start(where, hook, instance, args, kwargs)
        if op is None:
            return await wrapped(*args, **kwargs)
        try:
            with _active(where, op):
                result = await wrapped(*args, **kwargs)
        except BaseException as exc:
            guard.run(where, op.end, exc)
            raise
        guard.run(where, hook.finish, op, result)
        guard.run(where, op.end)
        return result

    return async_wrapper if is_async else wrapper


class _StreamRun:
    """What the sync and async stream wrappers share: the hook's run, opened at the first step; what each
    item tells it; its end. ``active`` makes the operation current, one for all steps (a generator's steps
    never overlap)."""

    def __init__(self, where: str, hook, instance, args, kwargs) -> None:
        self.where = where
        self.run = guard.run(where, hook.start, instance, args, kwargs)
        self.op = getattr(self.run, "op", None)
        self._step = getattr(self.run, "step", None)  # what an item tells (an agent run's items tell nothing)
        self.active = _active(where, self.op)

    def saw(self, item) -> None:
        if self._step is not None:
            guard.run(self.where, self._step, item)

    def end(self, complete: bool, error: BaseException | None) -> None:
        if self.run is not None:
            if hasattr(self.run, "record"):
                guard.run(self.where, self.run.record, complete)
            guard.run(self.where, self.op.end, error)


def _stream(where: str, hook, is_async: bool):
    """The stream's span opens at its first step (a stream never iterated costs nothing), is current
    during each step and never between steps (the consumer's code runs in its own context), and
    ends when the stream is exhausted, raises, or is left early (break, close(), garbage collection)."""

    def steps(instance, args, kwargs, inner):
        run = _StreamRun(where, hook, instance, args, kwargs)
        complete, error = False, None
        try:
            while True:
                with run.active:
                    try:
                        item = next(inner)
                    except StopIteration:
                        complete = True
                        return
                run.saw(item)
                yield item
        except GeneratorExit:
            with run.active:
                inner.close()
            raise
        except BaseException as exc:
            error = exc
            raise
        finally:
            run.end(complete, error)

    async def async_steps(instance, args, kwargs, inner):
        run = _StreamRun(where, hook, instance, args, kwargs)
        complete, error = False, None
        try:
            while True:
                with run.active:
                    try:
                        item = await inner.__anext__()
                    except StopAsyncIteration:
                        complete = True
                        return
                run.saw(item)
                yield item
        except GeneratorExit:
            with run.active:
                await inner.aclose()
            raise
        except BaseException as exc:
            error = exc
            raise
        finally:
            run.end(complete, error)

    def wrapper(wrapped, instance, args, kwargs):
        inner = wrapped(*args, **kwargs)
        if _other_vendor_active() or (hasattr(hook, "wants") and not guard.run(where, hook.wants, instance)):
            return inner
        return (async_steps if is_async else steps)(instance, args, kwargs, inner)

    return wrapper


def _observer(where: str, observe):
    def wrapper(wrapped, instance, args, kwargs):
        if not _other_vendor_active():
            guard.run(where, observe, args, kwargs)
        return wrapped(*args, **kwargs)

    return wrapper


def _wrapper(kind: str, where: str, hook):
    if kind == "observer":
        return _observer(where, hook)
    is_async = where.rsplit(".", 1)[-1] in _ASYNC
    return (_call if kind == "call" else _stream)(where, hook, is_async)


def _hook(reference: str):
    module, name = reference.split(":")
    return getattr(importlib.import_module(f"{__name__}.{module}"), name)


class LangChainInstrumentor(PatchingInstrumentor):
    """Spans and GenAI metrics for LangChain chat models and tools and LangGraph agents."""

    guard = guard
    genai_framework = "langchain"

    def instrumentation_dependencies(self) -> Collection[str]:
        return _instruments

    def targets(self):
        for kind, targets in (("call", _CALLS), ("stream", _STREAMS), ("observer", _OBSERVERS)):
            for module_name, path, hook in targets:
                yield module_name, path, functools.partial(_make_wrapper, kind, f"{module_name}.{path}", hook)


def _make_wrapper(kind: str, where: str, hook: str, owner, name: str):
    return _wrapper(kind, where, _hook(hook))
