"""A local stand-in for PagerDuty's Events API v2: accepts POST /v2/enqueue and keeps each event.

It answers as PagerDuty does (202 and a JSON status), so Alertmanager's pagerduty notifier treats the
delivery as done and does not retry. Events are kept as the parsed JSON bodies, in arrival order.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Self

ENQUEUE_PATH = "/v2/enqueue"


class PagerDutyEvents:
    def __init__(self) -> None:
        self.events: list[dict] = []
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                if self.path != ENQUEUE_PATH:
                    self._answer(404, {"status": "unknown path", "path": self.path})
                    return
                event = json.loads(body)
                with receiver._lock:
                    receiver.events.append(event)
                self._answer(202, {"status": "success", "message": "Event processed",
                                   "dedup_key": event.get("dedup_key", "")})

            def _answer(self, status: int, body: dict) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args) -> None:  # keep pytest's output clean
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_port}{ENQUEUE_PATH}"

    def received(self) -> list[dict]:
        with self._lock:
            return list(self.events)

    def __enter__(self) -> Self:
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()
