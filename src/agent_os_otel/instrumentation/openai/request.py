"""What a request says before it is sent: the model span's attributes and, when opted in, its input."""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping
from typing import Any

from ... import catalogue as c
from .. import genai

CHAT, RESPONSES, EMBEDDINGS = "chat", "responses", "embeddings"
"""The three APIs we trace: chat.completions, responses, embeddings."""

_PARAMS = {  # (keyword argument, gen_ai.request.* attribute)
    CHAT: (("max_tokens", c.ATTR_GEN_AI_REQUEST_MAX_TOKENS),
           ("max_completion_tokens", c.ATTR_GEN_AI_REQUEST_MAX_TOKENS),
           ("temperature", c.ATTR_GEN_AI_REQUEST_TEMPERATURE), ("top_p", c.ATTR_GEN_AI_REQUEST_TOP_P),
           ("frequency_penalty", c.ATTR_GEN_AI_REQUEST_FREQUENCY_PENALTY),
           ("presence_penalty", c.ATTR_GEN_AI_REQUEST_PRESENCE_PENALTY),
           ("stop", c.ATTR_GEN_AI_REQUEST_STOP_SEQUENCES), ("seed", c.ATTR_GEN_AI_REQUEST_SEED),
           ("n", c.ATTR_GEN_AI_REQUEST_CHOICE_COUNT), ("stream", c.ATTR_GEN_AI_REQUEST_STREAM)),
    RESPONSES: (("max_output_tokens", c.ATTR_GEN_AI_REQUEST_MAX_TOKENS),
                ("temperature", c.ATTR_GEN_AI_REQUEST_TEMPERATURE), ("top_p", c.ATTR_GEN_AI_REQUEST_TOP_P),
                ("stream", c.ATTR_GEN_AI_REQUEST_STREAM)),
    EMBEDDINGS: (),
}


def get(obj: Any, key: str) -> Any:
    """A field of an SDK object or of the plain dict a user passed in its place."""
    return obj.get(key) if _is_mapping(type(obj)) else getattr(obj, key, None)


@functools.lru_cache(maxsize=256)
def _is_mapping(kind: type) -> bool:
    """Per type, once: isinstance() against an ABC is a Python-level call, and every field read asks."""
    return issubclass(kind, Mapping)


@functools.cache
def _provider(client_type: type) -> str:
    """Per client class, once: Azure clients (AzureOpenAI, AsyncAzureOpenAI and subclasses) or not."""
    azure = any(k.__name__ == "BaseAzureClient" for k in client_type.__mro__)
    return c.PROVIDER_AZURE_OPENAI if azure else c.PROVIDER_OPENAI


def start(tracer, api: str, client: Any, kwargs: Mapping[str, Any]):
    """The model span (or the outer layer's view of it) for a call to ``api`` on ``client``."""
    params = genai.request_params(kwargs, _PARAMS[api])
    if params.get(c.ATTR_GEN_AI_REQUEST_CHOICE_COUNT) == 1:  # semconv: only when it is not 1
        del params[c.ATTR_GEN_AI_REQUEST_CHOICE_COUNT]
    model = kwargs.get("model")
    # the attribute behind the base_url property, which (openai 3.x) runs an import on every read
    url = getattr(client, "_base_url", None) or getattr(client, "base_url", None)
    op = genai.start_model_call(
        tracer, operation=c.OP_EMBEDDINGS if api == EMBEDDINGS else c.OP_CHAT, provider=_provider(type(client)),
        model=model if isinstance(model, str) else None, params=params,
        server_address=getattr(url, "host", None) or None, server_port=getattr(url, "port", None))
    if op.capturing:
        _capture_input(op, api, kwargs)
    return op


def _capture_input(op, api: str, kwargs: Mapping[str, Any]) -> None:
    if api == CHAT:
        op.capture(c.ATTR_GEN_AI_INPUT_MESSAGES, [chat_message(m) for m in kwargs.get("messages") or ()])
    elif api == RESPONSES:
        instructions = kwargs.get("instructions")
        if isinstance(instructions, str):
            op.capture(c.ATTR_GEN_AI_SYSTEM_INSTRUCTIONS, [genai.text_part(instructions)])
        op.capture(c.ATTR_GEN_AI_INPUT_MESSAGES, response_items(kwargs.get("input")))


def arguments(raw: Any) -> Any:
    """Tool-call arguments as the object the model meant (semconv), or as sent when not JSON."""
    try:
        return json.loads(raw) if isinstance(raw, str) else raw
    except ValueError:
        return raw


def content_parts(content: Any) -> list[dict]:
    """Message content (a string, or a list of typed parts) as semconv parts; non-text parts by type only."""
    if content is None:
        return []
    if isinstance(content, str):
        return [genai.text_part(content)]
    return [genai.text_part(get(part, "text")) if get(part, "type") in ("text", "input_text", "output_text")
            else {"type": str(get(part, "type"))} for part in content]


def _text(content: Any) -> str:
    return " ".join(p["content"] for p in content_parts(content) if "content" in p)


def chat_message(message: Any, finish_reason: str | None = None) -> dict:
    """A chat message (request or reply) as a semconv message."""
    role = str(get(message, "role"))
    if role == "tool":
        return genai.message(role, genai.tool_response_part(get(message, "tool_call_id"),
                                                            _text(get(message, "content"))))
    parts = content_parts(get(message, "content"))
    for call in get(message, "tool_calls") or ():
        function = get(call, "function")
        parts.append(genai.tool_call_part(get(call, "id"), get(function, "name"), arguments(get(function, "arguments"))))
    return genai.message(role, *parts, finish_reason=finish_reason)


def response_items(items: Any) -> list[dict]:
    """Responses API input or output items as semconv messages (reasoning and other items are skipped)."""
    if isinstance(items, str):
        return [genai.message("user", genai.text_part(items))]
    shaped = []
    for item in items or ():
        kind = get(item, "type")
        if kind == "function_call":
            shaped.append(genai.message("assistant", genai.tool_call_part(
                get(item, "call_id"), get(item, "name"), arguments(get(item, "arguments")))))
        elif kind == "function_call_output":
            shaped.append(genai.message("tool", genai.tool_response_part(get(item, "call_id"), get(item, "output"))))
        elif get(item, "role"):
            shaped.append(genai.message(str(get(item, "role")), *content_parts(get(item, "content"))))
    return shaped
