"""What waking an idle process costs on this host: the reference for the
paced figures, as the raw relay is for the burst.

At a paced 100 articles/s each worker sleeps between articles and wakes a
few times for each (the request, each Redis reply). On a bare core a wake-up
costs microseconds; under nested virtualisation it can cost hundreds (caches
and address translations are cold again), and then the wake-ups, not the
work, are most of the paced CPU per article.

Measured as the workers wake: an asyncio redis-py client sends PING and
awaits the reply, ``count`` times back to back (warm), then ``count`` times
with ``interval_s`` of sleep before each (the process resumes from idle, as
a worker does for each article). This process's CPU per PING in each case;
their difference is what resuming from idle costs: one wake-up.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import redis.asyncio as aioredis


def wake_cost(redis_url: str, count: int = 300, interval_s: float = 0.01) -> dict[str, Any]:
    async def pings(client: aioredis.Redis, pause: float) -> float:
        started = time.process_time()
        for _ in range(count):
            await client.ping()
            if pause:
                await asyncio.sleep(pause)
        return (time.process_time() - started) / count * 1e6

    async def measure() -> tuple[float, float]:
        client = aioredis.Redis.from_url(redis_url)
        try:
            await pings(client, 0)  # connect, warm up
            return await pings(client, 0), await pings(client, interval_s)
        finally:
            await client.aclose()

    warm, idle = asyncio.run(measure())
    return {"ping_cpu_us_back_to_back": round(warm, 1),
            "ping_cpu_us_after_idle": round(idle, 1),
            "wake_cpu_us": round(max(idle - warm, 0.0), 1)}


def in_wakes(cpu_ms: float | None, cost: dict[str, Any]) -> float | None:
    """``cpu_ms`` as a number of the wake-ups ``wake_cost`` measured."""
    if cpu_ms is None or not cost["wake_cpu_us"]:
        return None
    return round(cpu_ms * 1000 / cost["wake_cpu_us"], 1)
