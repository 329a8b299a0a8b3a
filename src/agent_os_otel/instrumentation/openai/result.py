"""What a result says: response model and id, finish reasons, token usage and, when opted in, the output.

Streams are read chunk by chunk (``ChatChunks``, ``ResponseEvents``) and recorded when they end.
"""

from __future__ import annotations

from typing import Any

from ... import catalogue as c
from .. import genai
from .request import CHAT, EMBEDDINGS, RESPONSES, arguments, chat_message, get, response_items


def record(api: str, op, result: Any) -> None:
    """A complete (non-streamed) result. Unknown shapes (``with_raw_response``) record nothing."""
    if api == CHAT:
        _chat(op, result)
    elif api == RESPONSES:
        _response(op, result)
    elif api == EMBEDDINGS:
        op.set_response(model=get(result, "model"), input_tokens=get(get(result, "usage"), "prompt_tokens"))


def _chat(op, completion: Any) -> None:
    choices = get(completion, "choices") or ()
    usage = get(completion, "usage")
    op.set_response(model=get(completion, "model"), response_id=get(completion, "id"),
                    finish_reasons=[get(ch, "finish_reason") for ch in choices if get(ch, "finish_reason")],
                    input_tokens=get(usage, "prompt_tokens"), output_tokens=get(usage, "completion_tokens"))
    if op.capturing:
        op.capture(c.ATTR_GEN_AI_OUTPUT_MESSAGES,
                   [chat_message(get(ch, "message"), get(ch, "finish_reason")) for ch in choices])


def _finish_reason(response: Any) -> str | None:
    """The Responses API has a status, not a finish reason: mapped onto the chat API's values."""
    status = get(response, "status")
    if status == "incomplete":
        reason = get(get(response, "incomplete_details"), "reason")
        return "length" if reason == "max_output_tokens" else str(reason or status)
    if status == "failed":
        return "error"
    if status != "completed":
        return None
    return "tool_calls" if any(get(item, "type") == "function_call" for item in get(response, "output") or ()) \
        else "stop"


def _response(op, response: Any) -> None:
    usage = get(response, "usage")
    finish_reason = _finish_reason(response)
    op.set_response(model=get(response, "model"), response_id=get(response, "id"),
                    finish_reasons=[finish_reason] if finish_reason else None,
                    input_tokens=get(usage, "input_tokens"), output_tokens=get(usage, "output_tokens"))
    if finish_reason and op.capturing:
        parts = [part for message in response_items(get(response, "output")) for part in message["parts"]]
        op.capture(c.ATTR_GEN_AI_OUTPUT_MESSAGES, [genai.message("assistant", *parts, finish_reason=finish_reason)])


class ChatChunks:
    """A chat.completions stream as it goes by: ids, finish reasons, usage (sent last, when the request
    set stream_options.include_usage) and, only when capturing, the text and tool calls of each choice."""

    def __init__(self, op) -> None:
        self.error: BaseException | None = None
        self._capturing = op.capturing
        self._id = self._model = self._usage = None
        self._choices: dict[int, dict] = {}

    def add(self, chunk: Any) -> None:
        self._id = get(chunk, "id") or self._id
        self._model = get(chunk, "model") or self._model
        self._usage = get(chunk, "usage") or self._usage
        for choice in get(chunk, "choices") or ():
            index = get(choice, "index") or 0
            state = self._choices.get(index)
            if state is None:  # not setdefault: its default would be built anew for every chunk
                state = self._choices[index] = {"finish_reason": None, "text": [], "tool_calls": {}}
            state["finish_reason"] = get(choice, "finish_reason") or state["finish_reason"]
            if self._capturing:
                self._add_content(state, get(choice, "delta"))

    @staticmethod
    def _add_content(state: dict, delta: Any) -> None:
        if get(delta, "content"):
            state["text"].append(get(delta, "content"))
        for call in get(delta, "tool_calls") or ():
            seen = state["tool_calls"].setdefault(get(call, "index") or 0, {"id": None, "name": None, "arguments": []})
            function = get(call, "function")
            seen["id"] = get(call, "id") or seen["id"]
            seen["name"] = get(function, "name") or seen["name"]
            seen["arguments"].append(get(function, "arguments") or "")

    def record(self, op) -> None:
        choices = [self._choices[index] for index in sorted(self._choices)]
        op.set_response(model=self._model, response_id=self._id,
                        finish_reasons=[s["finish_reason"] for s in choices if s["finish_reason"]],
                        input_tokens=get(self._usage, "prompt_tokens"),
                        output_tokens=get(self._usage, "completion_tokens"))
        if self._capturing:
            op.capture(c.ATTR_GEN_AI_OUTPUT_MESSAGES, [genai.message(
                "assistant", *([genai.text_part("".join(s["text"]))] if s["text"] else []),
                *[genai.tool_call_part(t["id"], t["name"], arguments("".join(t["arguments"])))
                  for t in s["tool_calls"].values()],
                finish_reason=s["finish_reason"]) for s in choices])


class ResponseEvents:
    """A Responses API event stream: its lifecycle events carry the response, complete in the last one."""

    def __init__(self, op) -> None:  # pylint: disable=unused-argument - the recorders' common signature
        self.error: BaseException | None = None
        self._response = None

    def add(self, event: Any) -> None:
        response = get(event, "response")
        if response is not None:
            self._response = response

    def record(self, op) -> None:
        if self._response is not None:
            _response(op, self._response)


STREAM_RECORDERS = {CHAT: ChatChunks, RESPONSES: ResponseEvents}
