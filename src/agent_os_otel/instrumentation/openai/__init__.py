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


from . import wrappers
from .package import _instruments
from .request import CHAT, EMBEDDINGS, RESPONSES
from ..patching import PatchingInstrumentor
from .guarded import guard

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


class OpenAIInstrumentor(PatchingInstrumentor):
    """Model spans, GenAI metrics and retry events for the OpenAI SDK."""

    guard = guard
    genai_framework = "openai"

    def instrumentation_dependencies(self) -> Collection[str]:
        return _instruments

    def targets(self):
        for module_name, cls, method, api, is_async in _MODEL_CALLS:
            yield module_name, f"{cls}.{method}", functools.partial(wrappers.model_call, api, is_async=is_async)
        for module_name, cls, method, wrapper in _OBSERVED:
            yield module_name, f"{cls}.{method}", lambda owner, name, wrapper=wrapper: wrapper
