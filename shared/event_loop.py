"""Run a worker's main coroutine on the configured event loop.

uvloop (libuv, in C) does the same work as asyncio's own loop with less
CPU where each message wakes the process (the paced bench: about 8 %):
socket reads and writes, timers and callbacks stay out of Python.
``asyncio`` remains a setting away, for a platform without uvloop or to
rule the loop out when chasing a problem.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

from watchfloor.shared.errors import ConfigError

T = TypeVar("T")


class EventLoopUnavailable(ConfigError):
    """The configured event loop cannot be used here."""


def loop_factory(kind: str) -> Callable[[], asyncio.AbstractEventLoop] | None:
    """The factory of ``kind``'s loop; None for asyncio's default."""
    if kind == "asyncio":
        return None
    if kind == "uvloop":
        try:
            import uvloop
        except ImportError:
            raise EventLoopUnavailable(
                "uvloop is not installed (it has no Windows build): install it, or set "
                "WATCHFLOOR_EVENT_LOOP=asyncio") from None
        return uvloop.new_event_loop
    raise ValueError(f"unknown event loop {kind!r} (expected uvloop or asyncio)")


def run(main: Coroutine[Any, Any, T],
        factory: Callable[[], asyncio.AbstractEventLoop] | None) -> T:
    """``asyncio.run(main)`` on the loop ``factory`` makes (``loop_factory``)."""
    with asyncio.Runner(loop_factory=factory) as runner:
        return runner.run(main)
