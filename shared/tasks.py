"""Ending asyncio tasks for good."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from typing import Any


async def cancel_until_done(tasks: Iterable[asyncio.Task[Any]]) -> None:
    """Cancel each task, again and again, until every one has ended: redis-py
    (8.1) sometimes swallows a cancellation that lands inside a command, and
    a task cancelled once would then run on and hold a shutdown forever."""
    pending = {task for task in tasks if not task.done()}
    while pending:
        for task in pending:
            task.cancel()
        _, pending = await asyncio.wait(pending, timeout=0.5)
