"""A local webhook receiver: records what it gets, answers as told.

Used by ``watchfloor demo``, ``make bench`` and the integration tests. It runs a
real HTTP server on a loopback port in a background thread. When given the
watchlist secrets it verifies each Standard Webhooks signature.
"""

from __future__ import annotations

import json
import sys
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from standardwebhooks.webhooks import Webhook, WebhookVerificationError


@dataclass
class ReceivedRequest:
    path: str
    headers: dict[str, str]
    body: bytes
    received_at: float
    status: int
    verified: bool | None = None  # None: no secret known for this path

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class WebhookReceiver:
    """Start with ``start()``; ``url(path)`` gives an address to post to.

    ``plan(path, [503, 503, 200])`` makes the next requests on ``path`` get
    those statuses in turn (then 200). ``secrets`` maps path -> whsec_ secret
    used to verify signatures.

    Faults (the chaos suite): ``stop()`` then ``start()`` takes it down and
    back on the same port (a request on a connection kept alive across the
    stop is dropped unanswered, as a gone server would); ``hang()`` makes it
    read each request and never answer until ``answer()``, when those
    connections are closed unanswered (counted in ``hung``).
    """

    host: str = "127.0.0.1"
    port: int = 0
    secrets: dict[str, str] = field(default_factory=dict)
    requests: list[ReceivedRequest] = field(default_factory=list)
    _plans: dict[str, deque[int]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _cond: threading.Condition = field(init=False)
    _server: ThreadingHTTPServer | None = None
    hung: int = 0
    _answering: threading.Event = field(default_factory=threading.Event)

    def __post_init__(self) -> None:
        self._cond = threading.Condition(self._lock)
        self._answering.set()

    def start(self) -> WebhookReceiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # headers and body go out at once

            def do_POST(self) -> None:  # noqa: N802 - http.server API
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length)
                if self.server is not receiver._server or not receiver._answering.is_set():
                    receiver._hold_unanswered()
                    self.close_connection = True
                    return
                status = receiver._record(self.path, dict(self.headers.items()), body)
                payload = b'{"ok":true}' if status < 300 else b'{"error":"planned"}'
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args: Any) -> None:  # quiet
                return

        class Server(ThreadingHTTPServer):
            request_queue_size = 256  # the default backlog of 5 resets bursts of new connections

            def handle_error(self, request: Any, client_address: Any) -> None:
                # A sender killed or timing out mid-connection: what a real
                # server sees, not a fault of this one (no traceback on stderr).
                if not isinstance(sys.exc_info()[1], ConnectionError):
                    super().handle_error(request, client_address)

        self._server = Server((self.host, self.port), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def url(self, path: str = "/hook") -> str:
        return f"http://{self.host}:{self.port}{path}"

    def hang(self) -> None:
        """From now on accept and read requests but never answer them."""
        self._answering.clear()

    def answer(self) -> None:
        """Answer again; the requests held by ``hang`` are dropped unanswered."""
        self._answering.set()

    def _hold_unanswered(self) -> None:
        if self._answering.is_set():
            return  # a request on a connection of a stopped server: dropped at once
        with self._lock:
            self.hung += 1
        self._answering.wait()

    def plan(self, path: str, statuses: list[int]) -> None:
        with self._lock:
            self._plans[path] = deque(statuses)

    def _record(self, path: str, headers: dict[str, str], body: bytes) -> int:
        with self._lock:
            plan = self._plans.get(path)
            status = plan.popleft() if plan else 200
            verified = None
            secret = self.secrets.get(path)
            if secret:
                lowered = {k.lower(): v for k, v in headers.items()}
                try:
                    Webhook(secret).verify(body, lowered)
                    verified = True
                except WebhookVerificationError:
                    verified = False
            self.requests.append(
                ReceivedRequest(path, headers, body, time.time(), status, verified)
            )
            self._cond.notify_all()
            return status

    def delivered(self, path: str | None = None) -> list[ReceivedRequest]:
        """Requests answered with 2xx (on ``path`` if given)."""
        with self._lock:
            return [
                r for r in self.requests if r.status < 300 and (path is None or r.path == path)
            ]

    def wait_for(self, count: int, timeout: float = 10.0, path: str | None = None) -> bool:
        """Wait until ``count`` requests were answered 2xx; True if reached."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while True:
                done = sum(
                    1 for r in self.requests if r.status < 300 and (path is None or r.path == path)
                )
                if done >= count:
                    return True
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._cond.wait(left)

    def __enter__(self) -> WebhookReceiver:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
