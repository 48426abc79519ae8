"""Small HTTP pieces used on both sides: reading a server's ``Retry-After``
(the notifier's receivers, the ingest worker's feeds) and the JSON error body
every Watchfloor API answers with."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC
from email.utils import parsedate_to_datetime
from typing import Any

from fastapi import Request, Response
from fastapi.routing import APIRoute
from watchfloor.shared.redis_client import REDIS_ERRORS


def parse_retry_after(value: str | None, *, now: float, cap: float) -> float | None:
    """Seconds a ``Retry-After`` header asks us to wait, or None when it is
    absent or unreadable.

    Both forms are read: delay seconds ("120", also "1.5") and an HTTP date
    (seconds from ``now``, a unix time). The result is never negative and
    never above ``cap``: each caller decides how long a server may park it.
    """
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError, OverflowError):
            return None
        if when.tzinfo is None:  # "-0000": UTC by RFC 5322, not local time
            when = when.replace(tzinfo=UTC)
        seconds = when.timestamp() - now
    if seconds != seconds:  # NaN
        return None
    return min(max(seconds, 0.0), cap)


def error_body(message: str, problems: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """``{"error": {"message": ..., "problems": [...]}}``, the shape of every
    API error; ``problems`` only when there are some."""
    error: dict[str, Any] = {"message": message}
    if problems:
        error["problems"] = problems
    return {"error": error}


def storage_error_route(
    respond: Callable[[Request, Exception], Response],
) -> type[APIRoute]:
    """A FastAPI route class that answers ``respond(request, error)`` when a
    handler meets a Redis error, instead of a plain 500: the APIs and the
    console say "storage unavailable, nothing was changed" each in their form."""

    class StorageErrorRoute(APIRoute):
        def get_route_handler(self) -> Callable[[Request], Awaitable[Response]]:
            handler = super().get_route_handler()

            async def handle(request: Request) -> Response:
                try:
                    return await handler(request)
                except REDIS_ERRORS as exc:
                    return respond(request, exc)

            return handle

    return StorageErrorRoute


def is_foreign_origin(origin: str | None, scheme: str, host: str) -> bool:
    """Whether a browser's ``Origin`` names another site than this server
    (``scheme``: as uvicorn sets it, the forwarded one behind a trusted
    proxy; ``host``: the Host header). No (or an empty) ``Origin``: not a
    browser's cross-site request ("null", an opaque origin, is foreign)."""
    return bool(origin) and origin != f"{scheme}://{host}"
