"""A local OpenAI-compatible HTTP server for tests: real HTTP on loopback, scripted replies.

    with OpenAIServer() as server:
        server.script(text("Paris", input_tokens=12, output_tokens=3), tool_call("get_weather", {"city": "Paris"}),
                      error(429), broken_stream(after_chunks=2))
        ...  # the program under test uses OPENAI_BASE_URL=server.base_url, OPENAI_API_KEY=test-key
        server.requests  # [{"path", "body", "headers"}, ...] in arrival order

Replies are served in order, one per request, whichever endpoint asks (POST /v1/chat/completions,
POST /v1/responses, POST /v1/embeddings); each endpoint renders the reply in its own wire format, streamed
as SSE when the request says ``"stream": true``. An empty script answers ``text("ok")``.
"""

from __future__ import annotations

import base64
import json
import re
import struct
import sys
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from itertools import count
from typing import Any, Self

_ids = count(1)


@dataclass(frozen=True)
class Reply:
    kind: str  # "text" | "tool_call" | "error" | "broken_stream"
    content: str = ""
    tool_name: str = ""
    arguments: dict = field(default_factory=dict)
    call_id: str = ""
    status: int = 200
    message: str = ""
    input_tokens: int = 10
    output_tokens: int = 5
    after_chunks: int = 2


def text(content: str, input_tokens: int = 10, output_tokens: int = 5) -> Reply:
    return Reply("text", content=content, input_tokens=input_tokens, output_tokens=output_tokens)


def tool_call(name: str, arguments: dict, call_id: str = "call_1", input_tokens: int = 10,
              output_tokens: int = 5) -> Reply:
    return Reply("tool_call", tool_name=name, arguments=arguments, call_id=call_id, input_tokens=input_tokens,
                 output_tokens=output_tokens)


def error(status: int, message: str = "") -> Reply:
    return Reply("error", status=status, message=message or f"scripted error {status}")


def broken_stream(after_chunks: int = 2) -> Reply:
    """Starts an SSE stream (of text("partial reply text ...")) and drops the connection mid-way."""
    return Reply("broken_stream", content="partial reply text that never finishes", after_chunks=after_chunks)


def _dated(model: str) -> str:
    """The snapshot name the API answers with: gpt-4o -> gpt-4o-2024-08-06."""
    return model if re.search(r"-\d{4}-\d{2}-\d{2}$", model) else f"{model}-2024-08-06"


def _pieces(value: str) -> list[str]:
    """A string cut into a few deltas, as a real model streams it."""
    size = max(1, len(value) // 3)
    return [value[i:i + size] for i in range(0, len(value), size)] or [""]


# -- chat completions --------------------------------------------------------------------------------


def _chat_usage(reply: Reply) -> dict:
    return {"prompt_tokens": reply.input_tokens, "completion_tokens": reply.output_tokens,
            "total_tokens": reply.input_tokens + reply.output_tokens}


def _chat_tool_call(reply: Reply) -> dict:
    return {"id": reply.call_id, "type": "function",
            "function": {"name": reply.tool_name, "arguments": json.dumps(reply.arguments)}}


def _chat(reply: Reply, model: str, body: dict) -> dict:
    message: dict[str, Any] = {"role": "assistant", "content": None, "refusal": None}
    if reply.kind == "tool_call":
        message["tool_calls"] = [_chat_tool_call(reply)]
    else:
        message["content"] = reply.content
    return {"id": f"chatcmpl-{next(_ids)}", "object": "chat.completion", "created": int(time.time()),
            "model": model, "system_fingerprint": "fp_local",
            "choices": [{"index": 0, "message": message, "logprobs": None,
                         "finish_reason": "tool_calls" if reply.kind == "tool_call" else "stop"}],
            "usage": _chat_usage(reply)}


def _chat_chunks(reply: Reply, model: str, body: dict) -> list[dict]:
    base = {"id": f"chatcmpl-{next(_ids)}", "object": "chat.completion.chunk", "created": int(time.time()),
            "model": model, "system_fingerprint": "fp_local"}

    def chunk(delta: dict, finish_reason: str | None = None) -> dict:
        return {**base, "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish_reason}]}

    if reply.kind == "tool_call":
        call = _chat_tool_call(reply)
        deltas = [chunk({"role": "assistant", "content": None, "tool_calls": [
            {"index": 0, "id": call["id"], "type": "function", "function": {"name": reply.tool_name, "arguments": ""}}]})]
        deltas += [chunk({"tool_calls": [{"index": 0, "function": {"arguments": piece}}]})
                   for piece in _pieces(call["function"]["arguments"])]
        deltas.append(chunk({}, "tool_calls"))
    else:
        deltas = [chunk({"role": "assistant", "content": ""})]
        deltas += [chunk({"content": piece}) for piece in _pieces(reply.content)]
        deltas.append(chunk({}, "stop"))
    if (body.get("stream_options") or {}).get("include_usage"):
        deltas = [{**d, "usage": None} for d in deltas]
        deltas.append({**base, "choices": [], "usage": _chat_usage(reply)})
    return deltas


# -- responses --------------------------------------------------------------------------------------


def _response(reply: Reply, model: str, body: dict, status: str, output: list[dict]) -> dict:
    return {"id": f"resp_{next(_ids)}", "object": "response", "created_at": int(time.time()), "status": status,
            "model": model, "output": output, "error": None, "incomplete_details": None,
            "instructions": body.get("instructions"), "metadata": {}, "parallel_tool_calls": True,
            "temperature": body.get("temperature", 1.0), "top_p": body.get("top_p", 1.0),
            "tool_choice": body.get("tool_choice", "auto"), "tools": body.get("tools", []),
            "usage": None if status != "completed" else {
                "input_tokens": reply.input_tokens, "output_tokens": reply.output_tokens,
                "total_tokens": reply.input_tokens + reply.output_tokens,
                "input_tokens_details": {"cached_tokens": 0}, "output_tokens_details": {"reasoning_tokens": 0}}}


def _output_item(reply: Reply, item_id: str) -> dict:
    if reply.kind == "tool_call":
        return {"type": "function_call", "id": item_id, "call_id": reply.call_id, "name": reply.tool_name,
                "arguments": json.dumps(reply.arguments), "status": "completed"}
    return {"type": "message", "id": item_id, "role": "assistant", "status": "completed",
            "content": [{"type": "output_text", "text": reply.content, "annotations": []}]}


def _responses(reply: Reply, model: str, body: dict) -> dict:
    return _response(reply, model, body, "completed", [_output_item(reply, f"item_{next(_ids)}")])


def _responses_events(reply: Reply, model: str, body: dict) -> list[dict]:
    item_id = f"item_{next(_ids)}"
    done = _output_item(reply, item_id)
    final = _response(reply, model, body, "completed", [done])
    started = {**final, "status": "in_progress", "output": [], "usage": None}
    events: list[dict] = [{"type": "response.created", "response": started},
                          {"type": "response.in_progress", "response": started}]
    where = {"item_id": item_id, "output_index": 0}
    if reply.kind == "tool_call":
        events.append({"type": "response.output_item.added", "output_index": 0,
                       "item": {**done, "arguments": "", "status": "in_progress"}})
        events += [{"type": "response.function_call_arguments.delta", **where, "delta": piece}
                   for piece in _pieces(done["arguments"])]
        events.append({"type": "response.function_call_arguments.done", **where, "name": reply.tool_name,
                       "arguments": done["arguments"]})
    else:
        part = {"type": "output_text", "text": "", "annotations": []}
        events += [{"type": "response.output_item.added", "output_index": 0,
                    "item": {**done, "status": "in_progress", "content": []}},
                   {"type": "response.content_part.added", **where, "content_index": 0, "part": part}]
        events += [{"type": "response.output_text.delta", **where, "content_index": 0, "delta": piece, "logprobs": []}
                   for piece in _pieces(reply.content)]
        events += [{"type": "response.output_text.done", **where, "content_index": 0, "text": reply.content,
                    "logprobs": []},
                   {"type": "response.content_part.done", **where, "content_index": 0,
                    "part": {**part, "text": reply.content}}]
    events += [{"type": "response.output_item.done", "output_index": 0, "item": done},
               {"type": "response.completed", "response": final}]
    return [{**event, "sequence_number": n} for n, event in enumerate(events)]


# -- embeddings (never streamed; a text reply only sets the token count) -------------------------------


def _embeddings(reply: Reply, model: str, body: dict) -> dict:
    inputs = body.get("input")
    vector = [0.25, -0.5, 0.125]
    encoded = base64.b64encode(struct.pack(f"{len(vector)}f", *vector)).decode()
    return {"object": "list", "model": model,
            "data": [{"object": "embedding", "index": i,
                      "embedding": encoded if body.get("encoding_format") == "base64" else vector}
                     for i in range(len(inputs) if isinstance(inputs, list) else 1)],
            "usage": {"prompt_tokens": reply.input_tokens, "total_tokens": reply.input_tokens}}


# path under /v1 -> (render one reply, render its stream events, events are typed)
_ENDPOINTS = {"/chat/completions": (_chat, _chat_chunks, False), "/responses": (_responses, _responses_events, True),
              "/embeddings": (_embeddings, None, False)}


# -- HTTP ------------------------------------------------------------------------------------------


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive as the SDK expects; SSE goes chunked, so a drop is visible
    disable_nagle_algorithm = True  # headers and body go in separate writes: no 40 ms delayed-ACK stall
    server: _HTTPServer

    def log_message(self, *args) -> None:  # the test output is not the place for access logs
        pass

    def do_POST(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        raw = self.rfile.read(length) if length else b""
        body = json.loads(raw) if raw else {}
        headers = {k.lower(): v for k, v in self.headers.items()}
        reply = self.server.owner._take({"path": self.path, "body": body, "headers": headers})
        endpoint = _ENDPOINTS.get(self.path.rstrip("/").rsplit("/v1", 1)[-1])
        if endpoint is None:
            self._json(404, {"error": {"message": f"no endpoint {self.path}", "type": "invalid_request_error",
                                       "param": None, "code": None}})
            return
        render, render_stream, typed = endpoint
        model = _dated(str(body.get("model", "gpt-4o")))
        if reply.kind == "error":
            self._json(reply.status, {"error": {"message": reply.message, "param": None, "code": None,
                                                "type": "rate_limit_error" if reply.status == 429 else "server_error"}},
                       {"retry-after-ms": "1"})
        elif reply.kind == "broken_stream":
            events = render_stream(text(reply.content), model, body)
            self._sse(events[:reply.after_chunks], typed, finished=False)
        elif body.get("stream"):
            self._sse(render_stream(reply, model, body), typed, finished=True)
        else:
            self._json(200, render(reply, model, body))

    def _json(self, status: int, payload: dict, headers: dict | None = None) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(data)

    def _sse(self, events: list[dict], typed: bool, finished: bool) -> None:
        self.send_response(200)
        self.send_header("content-type", "text/event-stream")
        self.send_header("transfer-encoding", "chunked")
        self.end_headers()
        # the Responses API names each event; chat completions end with a [DONE] sentinel instead
        lines = [(f"event: {e['type']}\n" if typed else "") + f"data: {json.dumps(e)}\n\n" for e in events]
        if finished and not typed:
            lines.append("data: [DONE]\n\n")
        for line in lines:
            data = line.encode()
            self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
            self.wfile.flush()
        if finished:
            self.wfile.write(b"0\r\n\r\n")
        else:  # no terminating chunk: the client sees an incomplete body and raises
            self.close_connection = True


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    owner: OpenAIServer

    def handle_error(self, request, client_address) -> None:
        if not isinstance(sys.exc_info()[1], ConnectionError):  # clients dropping keep-alive sockets is normal
            super().handle_error(request, client_address)


class OpenAIServer:
    """Scripted OpenAI-compatible endpoints on 127.0.0.1:<free port>, served from a thread."""

    def __init__(self) -> None:
        self._http = _HTTPServer(("127.0.0.1", 0), _Handler)
        self._http.owner = self
        self._lock = threading.Lock()
        self._script: deque[Reply] = deque()
        self.requests: list[dict] = []
        self.base_url = f"http://127.0.0.1:{self._http.server_address[1]}/v1"
        self._thread = threading.Thread(target=self._http.serve_forever, daemon=True)

    def script(self, *replies: Reply) -> None:
        with self._lock:
            self._script.extend(replies)

    def _take(self, request: dict) -> Reply:
        with self._lock:
            self.requests.append(request)
            return self._script.popleft() if self._script else text("ok")

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._http.shutdown()
        self._http.server_close()


if __name__ == "__main__":  # python -m tests.support.openai_server: serve "ok" replies until stopped
    with OpenAIServer() as served:
        print(served.base_url, flush=True)
        threading.Event().wait()
