"""A scripted chat model for LangChain/LangGraph tests: langchain-core's GenericFakeChatModel that can
be given tools (agents call ``bind_tools``) and streams like a provider does (text chunks, then a last
chunk with the tool calls, usage and finish reason). An exception in the script is raised by that
turn (while streaming: after the first chunk)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage, AIMessageChunk
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult


class ChatFake(GenericFakeChatModel):
    """LangChain derives the provider from the class name (``fake``) and the model from ``model``."""

    model: str = "fake-model"

    def bind_tools(self, tools: Any, **kwargs: Any) -> ChatFake:
        return self

    def _generate(self, messages, stop=None, run_manager=None, **kwargs) -> ChatResult:
        message = next(self.messages)
        if isinstance(message, BaseException):
            raise message
        return ChatResult(generations=[ChatGeneration(message=_message(message))])

    def _stream(self, messages, stop=None, run_manager=None, **kwargs) -> Iterator[ChatGenerationChunk]:
        message = next(self.messages)
        if isinstance(message, BaseException):
            yield ChatGenerationChunk(message=AIMessageChunk(content="partial "))
            raise message
        message = _message(message)
        for word in re.split(r"(\s)", message.content) if message.content else ():
            yield ChatGenerationChunk(message=AIMessageChunk(content=word, id=message.id))
        last = AIMessageChunk(
            content="", id=message.id, chunk_position="last", usage_metadata=message.usage_metadata,
            response_metadata=message.response_metadata,
            tool_call_chunks=[{"name": call["name"], "args": json.dumps(call["args"]), "id": call["id"], "index": i}
                              for i, call in enumerate(message.tool_calls)])
        yield ChatGenerationChunk(message=last)


def _message(item: AIMessage | str) -> AIMessage:
    return AIMessage(content=item) if isinstance(item, str) else item


def reply(text: str, input_tokens: int = 20, output_tokens: int = 8, message_id: str | None = None,
          **metadata: Any) -> AIMessage:
    """A final answer, with usage and a finish reason (and ``metadata``) as a provider reports them."""
    return AIMessage(content=text, id=message_id,
                     usage_metadata={"input_tokens": input_tokens, "output_tokens": output_tokens,
                                     "total_tokens": input_tokens + output_tokens},
                     response_metadata={"finish_reason": "stop", **metadata})


def tool_call(name: str, call_id: str = "call_1", **args: Any) -> dict:
    return {"name": name, "args": args, "id": call_id, "type": "tool_call"}


def ask(*calls: dict, input_tokens: int = 12, output_tokens: int = 5) -> AIMessage:
    """A turn asking for tool calls (no finish reason: LangChain's fakes give none)."""
    return AIMessage(content="", tool_calls=list(calls),
                     usage_metadata={"input_tokens": input_tokens, "output_tokens": output_tokens,
                                     "total_tokens": input_tokens + output_tokens})
