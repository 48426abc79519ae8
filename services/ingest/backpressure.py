"""Back-pressure for the ingest API: a bounded number of POSTs in flight.

Requests to the guarded path are counted from arrival to answer (waiting
for a parse slot included). Past ``limit`` a new one gets 429 with
``Retry-After`` at once, rather than joining a queue whose wait grows
without end; below it nothing changes. Redis trouble is not this: a
request that waited the whole pool timeout for a Redis connection is also
429 (overload), a Redis that does not answer stays 503.
"""

from __future__ import annotations

from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send
from watchfloor.shared.http import error_body

RETRY_AFTER_S = 1


# said when a request may have been partly handled (a batch is published in chunks)
RESEND_IS_SAFE = ("sending the same articles again is safe: any that got in before this "
                  "answer come back as duplicates")


def busy_response(retry_after_s: int = RETRY_AFTER_S, *, started: bool = False) -> JSONResponse:
    """429. ``started``: the request was being handled (some of a batch may be in)."""
    done = RESEND_IS_SAFE if started else "nothing was ingested"
    return JSONResponse(
        error_body(f"the ingest API is busy, {done}: retry in {retry_after_s} s"),
        status_code=429,
        headers={"Retry-After": str(retry_after_s)},
    )


class InFlightLimit:
    """ASGI middleware: at most ``limit`` requests to ``method path`` at once."""

    def __init__(self, app: ASGIApp, *, path: str, limit: int, method: str = "POST") -> None:
        self.app = app
        self.path = path
        self.method = method
        self.limit = limit
        self.in_flight = 0
        self.refused = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        guarded = (scope["type"] == "http" and scope.get("method") == self.method
                   and scope.get("path") == self.path)
        if not guarded:
            await self.app(scope, receive, send)
            return
        if self.in_flight >= self.limit:
            self.refused += 1
            await busy_response()(scope, receive, send)
            return
        self.in_flight += 1
        try:
            await self.app(scope, receive, send)
        finally:
            self.in_flight -= 1

    def __repr__(self) -> str:  # pragma: no cover - debugging aid
        return f"InFlightLimit({self.method} {self.path}, {self.in_flight}/{self.limit})"
