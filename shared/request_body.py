"""Reading a JSON request body without letting the sender choose the cost.

- ``read_capped``: the body, streamed, refused with 413 as soon as it is
  larger than the limit (a declared ``Content-Length`` over it is refused
  before anything is read), so no more than the limit is ever buffered.
- ``parse_json``: UTF-8 only (RFC 8259 section 8.1; a byte order mark is
  skipped), nesting checked before ``json.loads`` (``shared/json_input.py``);
  every failure is a ``RequestBodyError`` (400) with a message for people.
- ``BoundedWork``: runs the parsing (and whatever heavy step the caller puts
  with it) in a thread, at most ``limit`` at a time, so large bodies neither
  stall the event loop (``/healthz`` keeps answering) nor pile up in memory.

Errors carry a message and a position, never the body: it may hold secrets
(a watchlist's webhook secret, a Slack URL).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any, ParamSpec, TypeVar

from starlette.requests import ClientDisconnect, Request
from watchfloor.shared.errors import InvalidInput
from watchfloor.shared.json_input import DuplicateKey, JSONTooDeep, loads

P = ParamSpec("P")
T = TypeVar("T")


class RequestBodyError(InvalidInput):
    """A request body refused before it was understood: 400, 413 or 415."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def size_text(limit: int) -> str:
    """``32 MiB``, ``512 KiB``, ``100 bytes``: a limit for people."""
    if limit >= 1 << 20 and limit % (1 << 20) == 0:
        return f"{limit >> 20} MiB"
    if limit >= 1 << 10 and limit % (1 << 10) == 0:
        return f"{limit >> 10} KiB"
    return f"{limit} bytes"


# how long a body may send nothing (and, six times as long, take in all)
BODY_IDLE_TIMEOUT_S = 15.0
WHOLE_BODY_IDLE_PERIODS = 6


async def read_capped(request: Request, limit: int, *, too_large: str | None = None,
                      idle_timeout_s: float = BODY_IDLE_TIMEOUT_S) -> bytearray:
    """The whole body, or ``RequestBodyError(413)`` once it exceeds ``limit``
    bytes. ``too_large`` replaces the default 413 message. A body that
    stalls (nothing for ``idle_timeout_s``, or not all of it after six times
    as long) gets ``RequestBodyError(408)``: a client that opens requests
    and never finishes them would otherwise hold their places for good."""
    message = too_large or f"request body is larger than {size_text(limit)}"
    encoding = request.headers.get("content-encoding", "identity").strip().lower()
    if encoding not in ("", "identity"):  # read as is, it was "not UTF-8 (byte 2)"
        raise RequestBodyError(415, f"Content-Encoding {encoding[:40]!r} is not supported: "
                                    "send the body uncompressed")
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise RequestBodyError(413, message)
    body = bytearray()
    chunks = aiter(request.stream())
    loop = asyncio.get_running_loop()
    deadline = loop.time() + idle_timeout_s * WHOLE_BODY_IDLE_PERIODS
    while True:
        try:
            async with asyncio.timeout_at(min(loop.time() + idle_timeout_s, deadline)):
                chunk = await anext(chunks)
        except StopAsyncIteration:
            return body
        except ClientDisconnect:  # a producer gave up mid-upload: nothing to answer
            raise RequestBodyError(400, "the client closed the connection before the whole "
                                        "body arrived") from None
        except TimeoutError:
            raise RequestBodyError(408, f"the request body stopped arriving (nothing for "
                                        f"{idle_timeout_s:g} s, or not complete after "
                                        f"{idle_timeout_s * WHOLE_BODY_IDLE_PERIODS:g} s): "
                                        "send it again") from None
        if len(body) + len(chunk) > limit:
            raise RequestBodyError(413, message)
        body += chunk


def is_blank(body: bytes | bytearray) -> bool:
    """Empty or only whitespace (without copying a large body)."""
    return not body or body.isspace()


def parse_json(body: bytes | bytearray, *, what: str = "request body",
               unique_keys: bool = False) -> Any:
    """The JSON value of ``body``; ``RequestBodyError(400)`` says what is wrong.
    ``unique_keys``: a key given twice in one object is refused too."""
    try:
        # Decoded here: json.loads(bytes) would also guess UTF-16/32.
        return loads(body.decode("utf-8-sig"), unique_keys=unique_keys)
    except DuplicateKey as exc:
        raise RequestBodyError(400, f"{what} is ambiguous: {exc}") from None
    except UnicodeDecodeError as exc:
        raise RequestBodyError(400, f"{what} is not UTF-8 text (byte {exc.start + 1})") from None
    except JSONTooDeep as exc:
        raise RequestBodyError(400, f"{what} is {exc}") from None
    except RecursionError:  # only if called deep in a stack: the same answer
        raise RequestBodyError(400, f"{what} is nested too deeply") from None
    except json.JSONDecodeError as exc:
        raise RequestBodyError(
            400,
            f"{what} is not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})",
        ) from None


class BoundedWork:
    """CPU-heavy request work (parsing, validating) in a thread, ``limit`` at
    a time. ``async with work.slot():`` holds a place for longer, e.g. while
    the parsed result is published, so that results do not pile up either."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._slots = asyncio.Semaphore(limit)

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        async with self._slots:
            yield

    @staticmethod
    async def in_thread(fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        """``fn`` off the event loop (call it while holding a ``slot``)."""
        return await asyncio.to_thread(fn, *args, **kwargs)

    async def run(self, fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        """``fn`` off the event loop, within the bound."""
        async with self._slots:
            return await asyncio.to_thread(fn, *args, **kwargs)
