"""Chat model calls: ``chat {model}`` spans from a BaseChatModel's LangSmith params and its results.

LangChain names the provider and model of every chat model in ``_get_ls_params`` (each provider
package overrides it); responses carry ``response_metadata`` and ``usage_metadata`` on the AIMessage.
"""

from __future__ import annotations

import time
from typing import Any

from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.messages.ai import add_ai_message_chunks

from ... import catalogue as c
from .. import genai


# LangChain's ls_provider -> the semconv's well-known gen_ai.provider.name; others pass through as is.
_PROVIDERS = {
    "openai": c.PROVIDER_OPENAI,
    "azure": c.PROVIDER_AZURE_OPENAI,
    "anthropic": "anthropic",
    "amazon_bedrock": "aws.bedrock",
    "bedrock": "aws.bedrock",
    "google_genai": "gcp.gemini",
    "google_vertexai": "gcp.vertex_ai",
    "mistral": "mistral_ai",
    "mistralai": "mistral_ai",
    "groq": "groq",
    "cohere": "cohere",
    "deepseek": "deepseek",
    "xai": "x_ai",
    "perplexity": "perplexity",
}
# (name in LangSmith params, model fields or call kwargs) -> gen_ai.request.* attribute
_PARAMS = (
    ("ls_temperature", c.ATTR_GEN_AI_REQUEST_TEMPERATURE),
    ("ls_max_tokens", c.ATTR_GEN_AI_REQUEST_MAX_TOKENS),
    ("ls_stop", c.ATTR_GEN_AI_REQUEST_STOP_SEQUENCES),
    ("top_p", c.ATTR_GEN_AI_REQUEST_TOP_P),
    ("top_k", c.ATTR_GEN_AI_REQUEST_TOP_K),
    ("frequency_penalty", c.ATTR_GEN_AI_REQUEST_FREQUENCY_PENALTY),
    ("presence_penalty", c.ATTR_GEN_AI_REQUEST_PRESENCE_PENALTY),
    ("seed", c.ATTR_GEN_AI_REQUEST_SEED),
    ("n", c.ATTR_GEN_AI_REQUEST_CHOICE_COUNT),
)
_MODEL_FIELDS = tuple(name for name, _ in _PARAMS if not name.startswith("ls_"))
_LC_ID_PREFIX = "lc_run-"  # ids LangChain makes up for messages the provider gave none: not response ids
_ROLES = {"human": "user", "ai": "assistant", "tool": "tool", "system": "system"}


def describe(model) -> tuple[str | None, str | None]:
    """(gen_ai.provider.name, model name) of a chat model, from its LangSmith params."""
    params = model._get_ls_params()  # pylint: disable=protected-access
    return provider_name(params.get("ls_provider")), params.get("ls_model_name")


def provider_name(ls_provider: Any) -> str | None:
    return _PROVIDERS.get(ls_provider, ls_provider) if isinstance(ls_provider, str) else None


def start(model, messages: list[BaseMessage] | None, stop: Any, kwargs: dict, stream: bool = False):
    """Open the model span of one call (one prompt) to ``model``."""
    ls_params = model._get_ls_params(stop=stop, **kwargs)  # pylint: disable=protected-access
    fields = model.__dict__  # a pydantic model's field values; getattr of an absent one costs an exception
    values = {name: kwargs.get(name, fields.get(name)) for name in _MODEL_FIELDS}
    values.update(ls_params)
    params = genai.request_params(values, _PARAMS)
    if stream:
        params[c.ATTR_GEN_AI_REQUEST_STREAM] = True
    op = genai.start_model_call(genai.tracer_for("langchain"), operation=c.OP_CHAT, provider=provider_name(ls_params.get("ls_provider")),
                                model=ls_params.get("ls_model_name"), params=params)
    if messages and op.capturing:
        capture_input(op, messages)
    return op


def record(op, outputs: list[tuple[AIMessage, dict | None]], llm_output: dict | None = None,
           complete: bool = True) -> None:
    """``complete`` is False for a stream the consumer left early: no finish reason is guessed for it."""
    if not outputs:
        return
    first = outputs[0][0]
    metadata = first.response_metadata or {}
    usage = first.usage_metadata or {}
    token_usage = (llm_output or {}).get("token_usage") or {}
    response_id = first.id if isinstance(first.id, str) and not first.id.startswith(_LC_ID_PREFIX) else None
    reasons = [_finish_reason(message, info, complete) for message, info in outputs]
    op.set_response(
        model=metadata.get("model_name") or metadata.get("model") or (llm_output or {}).get("model_name"),
        response_id=response_id, finish_reasons=[reason for reason in reasons if reason],
        input_tokens=usage.get("input_tokens", token_usage.get("prompt_tokens")),
        output_tokens=usage.get("output_tokens", token_usage.get("completion_tokens")))
    if op.capturing:
        op.capture(c.ATTR_GEN_AI_OUTPUT_MESSAGES,
                   [genai.message("assistant", *_parts(message), finish_reason=reason)
                    for (message, _), reason in zip(outputs, reasons)])


def _finish_reason(message: AIMessage, generation_info: dict | None, complete: bool) -> str | None:
    """The provider's word for why generation stopped, else (for a complete response) what the message shows."""
    for source in (generation_info or {}, message.response_metadata or {}):
        reason = source.get("finish_reason") or source.get("stop_reason")
        if reason:
            return str(reason)
    if not complete:
        return None
    return "tool_call" if message.tool_calls else "stop"


def capture_input(op, messages: list[BaseMessage]) -> None:
    system: list[dict] = []
    shaped = []
    for message in messages:
        if message.type == "system":
            system.extend(_content_parts(message.content))
        elif message.type == "tool":
            shaped.append(genai.message("tool", genai.tool_response_part(
                getattr(message, "tool_call_id", None), message.content)))
        else:
            shaped.append(genai.message(_ROLES.get(message.type, message.type), *_parts(message)))
    if system:
        op.capture(c.ATTR_GEN_AI_SYSTEM_INSTRUCTIONS, system)
    op.capture(c.ATTR_GEN_AI_INPUT_MESSAGES, shaped)


def _parts(message: BaseMessage) -> list[dict]:
    parts = _content_parts(message.content)
    for call in getattr(message, "tool_calls", None) or ():
        parts.append(genai.tool_call_part(call.get("id"), call.get("name"), call.get("args")))
    return parts


def _content_parts(content: Any) -> list[dict]:
    if isinstance(content, str):
        return [genai.text_part(content)] if content else []
    parts = []
    for block in content or ():
        if isinstance(block, str):
            parts.append(genai.text_part(block))
        elif isinstance(block, dict) and block.get("type") == "text":
            parts.append(genai.text_part(block.get("text")))
        elif isinstance(block, dict):
            parts.append({"type": str(block.get("type", "unknown"))})  # images, files: named, not copied
    return parts


class Stream:
    """One streamed model call: its span, and the chunks that make up the response."""

    def __init__(self, op) -> None:
        self.op = op
        self.started = time.perf_counter()
        self.chunks: list[AIMessage] = []

    def step(self, item) -> None:
        if not isinstance(item, AIMessage):
            return
        if not self.chunks:
            self.op.set(c.ATTR_GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK, time.perf_counter() - self.started)
        self.chunks.append(item)

    def record(self, complete: bool) -> None:
        chunks = self.chunks
        if len(chunks) > 1 and all(isinstance(chunk, AIMessageChunk) for chunk in chunks):
            record(self.op, [(add_ai_message_chunks(*chunks), None)], complete=complete)
        elif chunks:
            record(self.op, [(chunks[-1], None)], complete=complete)


def arg(args: tuple, kwargs: dict, index: int, name: str, default=None):
    """A wrapped call's argument, passed by position or by name."""
    return args[index] if len(args) > index else kwargs.get(name, default)


class ModelCall:
    """BaseChatModel._generate_with_cache / _agenerate_with_cache(messages, stop, run_manager, **kwargs):
    one prompt, whichever of invoke, batch, generate or an internal stream led here."""

    @staticmethod
    def start(model, args, kwargs):
        extra = {k: v for k, v in kwargs.items() if k not in ("messages", "stop", "run_manager")}
        return start(model, arg(args, kwargs, 0, "messages"), arg(args, kwargs, 1, "stop"), extra)

    @staticmethod
    def finish(op, result) -> None:
        record(op, [(g.message, g.generation_info) for g in result.generations], result.llm_output)


class ModelStream:
    """BaseChatModel.stream / astream(input, config=None, *, stop=None, **kwargs): a generator of chunks."""

    @staticmethod
    def start(model, args, kwargs):
        extra = {k: v for k, v in kwargs.items() if k not in ("input", "config", "stop")}
        messages = None
        if genai.capturing():  # pylint: disable-next=protected-access
            messages = model._convert_input(arg(args, kwargs, 0, "input")).to_messages()
        return Stream(start(model, messages, kwargs.get("stop"), extra, stream=True))
