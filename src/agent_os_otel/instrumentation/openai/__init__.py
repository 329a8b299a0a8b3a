"""OpenTelemetry instrumentation for the OpenAI Python SDK (`openai` on PyPI).

Active with no code change under ``opentelemetry-instrument`` (entry point ``openai``), or::

    from agent_os_otel.instrumentation.openai import OpenAIInstrumentor
    OpenAIInstrumentor().instrument()

What it records, per the GenAI semantic conventions:

- ``chat {model}`` (CLIENT) for ``chat.completions.create``/``parse`` and ``responses.create``/``parse``
  (the Responses API is a chat operation too), ``embeddings {model}`` for ``embeddings.create``; sync and
  async clients; the ``.stream()`` helpers go through ``create`` and are covered by it.
  gen_ai.request.* from the call's arguments, gen_ai.response.model/id/finish_reasons and token usage from
  its result; server.address/port from the client's base_url; provider ``openai`` (``azure.ai.openai`` for
  Azure clients). Inputs and outputs (messages, tool calls) only when
  OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT opts in.
- Streams (``stream=True``): the span ends when the stream does — read to the end, closed, left early
  (``with`` exit, ``break`` then drop) or failed mid-way — with what the chunks carried.
- Errors: span status ERROR and ``error.type`` = the HTTP status code (``"429"``, ``"500"``) for API
  errors, else the exception's class name (``APIConnectionError``, ``APITimeoutError``).
- Retries: each failed attempt the SDK retries is a ``gen_ai.client.retry`` event on the model span
  (with the status code, or the transport error's class name); the span covers all attempts.
- A model span already opened by an outer layer of ours (LangChain's ChatOpenAI, the Agents SDK) gets
  the response id, usage and retries instead of a second span. When another vendor's OpenAI
  instrumentation wraps the same methods, it records the call and we stay out (see `stacking`).
"""

from __future__ import annotations

import functools
from collections.abc import Collection

import wrapt
from opentelemetry.instrumentation.instrumentor import BaseInstrumentor

from . import wrappers
from .package import _instruments
from .request import CHAT, EMBEDDINGS, RESPONSES
from ..stacking import mark, unwrap_ours, wrapped_by_us

_CHAT_MODULE = "openai.resources.chat.completions.completions"
_RESPONSES_MODULE = "openai.resources.responses.responses"
_MODEL_CALLS = (  # (module, class, method, API, async)
    (_CHAT_MODULE, "Completions", "create", CHAT, False),
    (_CHAT_MODULE, "Completions", "parse", CHAT, False),
    (_CHAT_MODULE, "AsyncCompletions", "create", CHAT, True),
    (_CHAT_MODULE, "AsyncCompletions", "parse", CHAT, True),
    (_RESPONSES_MODULE, "Responses", "create", RESPONSES, False),
    (_RESPONSES_MODULE, "Responses", "parse", RESPONSES, False),
    (_RESPONSES_MODULE, "AsyncResponses", "create", RESPONSES, True),
    (_RESPONSES_MODULE, "AsyncResponses", "parse", RESPONSES, True),
    ("openai.resources.embeddings", "Embeddings", "create", EMBEDDINGS, False),
    ("openai.resources.embeddings", "AsyncEmbeddings", "create", EMBEDDINGS, True),
)
_OBSERVED = (  # (module, class, method, wrapper): no span of their own
    ("openai._base_client", "SyncAPIClient", "_sleep_for_retry", wrappers.retry_sleep),
    ("openai._base_client", "AsyncAPIClient", "_sleep_for_retry", wrappers.retry_sleep),
    ("openai.lib.streaming.chat._completions", "ChatCompletionStream", "close", wrappers.helper_close),
    ("openai.lib.streaming.chat._completions", "AsyncChatCompletionStream", "close", wrappers.helper_close),
    ("openai.lib.streaming.responses._responses", "ResponseStream", "close", wrappers.helper_close),
    ("openai.lib.streaming.responses._responses", "AsyncResponseStream", "close", wrappers.helper_close),
)


class OpenAIInstrumentor(BaseInstrumentor):
    """Model spans, GenAI metrics and retry events for the OpenAI SDK.

    Patching waits for the program to import each SDK module (wrapt post-import hooks), so a program
    that never imports openai never pays for it.
    """

    # No __init__: BaseInstrumentor is a singleton and ``OpenAIInstrumentor()`` re-runs __init__ on it, which
    # would forget what ``OpenAIInstrumentor().instrument()`` patched before ``OpenAIInstrumentor().uninstrument()``.
    _patched: list[tuple[type, str]]
    _active = False

    def instrumentation_dependencies(self) -> Collection[str]:
        return _instruments

    def _instrument(self, **kwargs) -> None:
        self._active = True
        self._patched = []
        by_module: dict[str, list] = {}
        for module_name, cls, method, api, is_async in _MODEL_CALLS:
            by_module.setdefault(module_name, []).append(
                (cls, method, functools.partial(wrappers.model_call, api, is_async=is_async)))
        for module_name, cls, method, wrapper in _OBSERVED:
            by_module.setdefault(module_name, []).append((cls, method, lambda owner, name, w=wrapper: w))
        for module_name, patches in by_module.items():
            wrapt.register_post_import_hook(functools.partial(self._patch_module, patches), module_name)

    def _patch_module(self, patches, module) -> None:
        if not self._active:  # uninstrumented since the hook was registered
            return
        for cls, method, make_wrapper in patches:
            owner = getattr(module, cls, None)
            if owner is None or method not in vars(owner) or wrapped_by_us(owner, method):
                continue  # absent in this version, or already ours
            wrapt.wrap_function_wrapper(owner, method, mark(make_wrapper(owner, method)))
            self._patched.append((owner, method))

    def _uninstrument(self, **kwargs) -> None:
        self._active = False
        while self._patched:
            unwrap_ours(*self._patched.pop())
