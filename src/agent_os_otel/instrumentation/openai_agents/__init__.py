"""OpenTelemetry instrumentation for the OpenAI Agents SDK (``openai-agents`` on PyPI, module ``agents``).

Active with no code change under ``opentelemetry-instrument`` (entry point ``openai_agents``), or::

    from agent_os_otel.instrumentation.openai_agents import OpenAIAgentsInstrumentor
    OpenAIAgentsInstrumentor().instrument()

How: the SDK traces itself (a trace per run, spans for agents, model calls, tools, handoffs,
guardrails), so we add one more trace processor to it (``agents.add_trace_processor``) that replays
those spans into OpenTelemetry as they start and end (`bridge`; the mapping is in `spans`):

    invoke_workflow Agent workflow
      invoke_agent Assistant
        chat gpt-4o
        execute_tool get_weather
        chat gpt-4o

A processor rather than wrappers around the run loop, because the processor is the SDK's public,
stable interface and is called synchronously in the very task where each span starts and ends: the
bridged span is made current there, so the OpenAI SDK call under a model span is enriched by our
``openai`` instrumentation rather than recorded twice, and RunHooks (Agent OS's ``on_tool_start``
runs inside the SDK's function span) see their tool's ``execute_tool`` span. A few small hooks add
what the span data lacks (`hints`: a tool call's id, the model a Responses call asks for, the exception
behind a span error).

A span the SDK starts and ends in the same task is current exactly while the SDK's own span is; one it
ends elsewhere (an abandoned stream finalized by another task) is ended without touching any context.
The model span of a streamed call stays current in the SDK's run-loop task between chunks, as the SDK's
own span does; the program consuming ``stream_events()`` runs in its own task and never sees it.

The SDK's own exporter keeps running beside the bridge: we add a processor and remove none, so unless
told otherwise the SDK still sends its traces to OpenAI's backend (with OPENAI_API_KEY). To send them
only to OpenTelemetry, replace the SDK's processors with the bridge alone (the SDK's documented way to
drop its default exporter)::

    import agents
    agents.set_trace_processors([OpenAIAgentsInstrumentor().processor])

Do not use ``agents.set_tracing_disabled(True)``, ``OPENAI_AGENTS_DISABLE_TRACING=1`` or
``RunConfig(tracing_disabled=True)`` for that: they stop the SDK from creating spans at all, so the
bridge sees nothing either. ``set_tracing_export_api_key`` only changes the exporter's key (an empty one
falls back to OPENAI_API_KEY, so it does not stop the export either). Likewise
``set_trace_processors`` without the bridge in the list switches the bridge off.

Another vendor's bridge of the same SDK spans (OpenLLMetry's ``opentelemetry-instrumentation-openai-agents``
registers the same entry-point name, so the distro normally runs only one of them): when both are
registered anyway, ours stands aside for every trace and theirs records it, so each operation still
has one span.
"""

from __future__ import annotations

from collections.abc import Collection

import wrapt

from ..patching import PatchingInstrumentor

from ..openai.request import CHAT, RESPONSES
from . import hints
from .bridge import BRIDGE, guard
from .package import _instruments


def _tool_call(wrapped, instance, args, kwargs):
    async def run():
        token = guard.run("tool call", hints.announce_tool_call, kwargs)
        try:
            return await wrapped(*args, **kwargs)
        finally:
            if token is not None:
                guard.run("tool call", hints.forget_tool_call, token)

    return run()


def _request(api: str):
    def wrapper(wrapped, instance, args, kwargs):
        async def run():
            op = guard.run("model request", hints.before_request, BRIDGE, api, instance, args, kwargs)
            result = await wrapped(*args, **kwargs)
            if op is not None:
                guard.run("model reply", hints.after_request, api, op, result)
            return result

        return run()

    return wrapper


def _set_error(wrapped, instance, args, kwargs):
    guard.run("span error", hints.note_error, BRIDGE, instance)
    return wrapped(*args, **kwargs)


# (module, attribute path, wrapper)
_TARGETS = (
    ("agents.run_internal.tool_execution", "_FunctionToolBatchExecutor._run_single_tool", _tool_call),
    ("agents.models.openai_responses", "OpenAIResponsesModel._fetch_response", _request(RESPONSES)),
    ("agents.models.openai_responses", "OpenAIResponsesWSModel._fetch_response", _request(RESPONSES)),
    ("agents.models.openai_chatcompletions", "OpenAIChatCompletionsModel._fetch_response", _request(CHAT)),
    ("agents.tracing.spans", "SpanImpl.set_error", _set_error),
)


class OpenAIAgentsInstrumentor(PatchingInstrumentor):
    """The Agents SDK's spans as OpenTelemetry GenAI spans, in one tree with the model calls under them."""

    guard = guard
    genai_framework = "openai_agents"
    _registered = False

    @property
    def processor(self):
        """The bridge, for ``agents.set_trace_processors([...])``."""
        return BRIDGE

    def instrumentation_dependencies(self) -> Collection[str]:
        return _instruments

    def targets(self):
        for module_name, path, wrapper in _TARGETS:
            yield module_name, path, lambda owner, name, wrapper=wrapper: wrapper

    def _instrument(self, **kwargs) -> None:
        BRIDGE.active = True
        super()._instrument(**kwargs)
        wrapt.register_post_import_hook(self._register, "agents.tracing")

    def _register(self, module) -> None:
        # Once per process: uninstrument switches the bridge off rather than removing it, so an
        # instrument/uninstrument cycle never leaves two bridges in the SDK's list.
        if BRIDGE.active and not self._registered:
            type(self)._registered = True
            module.add_trace_processor(BRIDGE)

    def _uninstrument(self, **kwargs) -> None:
        BRIDGE.active = False
        super()._uninstrument(**kwargs)
