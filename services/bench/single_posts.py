"""Ingest under a flood of single-article POSTs: R requests a second, open
loop (each sent at its scheduled time, whatever the answers before it), for
S seconds. Reports the status codes (5xx and 429 apart), client errors, and
the POST latency from the scheduled send time (so a stalled server is not
hidden by a client that waited for it).

The first ``warmup`` requests go the same way, on the same schedule, but
their latencies are reported apart: a stack that has just started connects,
fills its pools and runs its first code paths on them, which a running
service has done long before. How late the load generator itself sent each
request is reported too (``client_send_lag_ms``): a figure is only the
server's when that stays small.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from typing import Any

import aiohttp
from watchfloor.services.bench.pipeline_run import summarize


async def flood(url: str, articles: list[dict[str, Any]], rate: float, *, warmup: int = 0,
                timeout_s: float = 30.0) -> dict[str, Any]:
    """POST ``articles`` one per request at ``rate``; the first ``warmup`` of
    them are the warm-up. Status counts cover every request."""
    statuses: Counter[str] = Counter()
    errors: Counter[str] = Counter()
    latencies: dict[bool, list[float]] = {False: [], True: []}  # measured?
    send_lag: list[float] = []
    connector = aiohttp.TCPConnector(limit=0)
    client_timeout = aiohttp.ClientTimeout(total=timeout_s)
    async with aiohttp.ClientSession(connector=connector, timeout=client_timeout) as http:
        loop = asyncio.get_running_loop()

        async def post(index: int, due: float, article: dict[str, Any]) -> None:
            lag_ms = (loop.time() - due) * 1000
            try:
                async with http.post(f"{url}/v1/articles", json=article) as reply:
                    await reply.read()
                    statuses[str(reply.status)] += 1
            except (aiohttp.ClientError, TimeoutError) as exc:
                errors[type(exc).__name__] += 1
                return
            measured = index >= warmup
            latencies[measured].append((loop.time() - due) * 1000)
            if measured:
                send_lag.append(lag_ms)

        # Each request is started at its time by this loop, not made up front:
        # making 10,000 tasks at once delays the first sends by as long as that
        # takes, and the delay would be charged to the server.
        in_flight: set[asyncio.Task[None]] = set()
        start = loop.time()
        sent_at = time.time()
        for index, article in enumerate(articles):
            due = start + index / rate
            if (wait := due - loop.time()) > 0:
                await asyncio.sleep(wait)
            task = asyncio.create_task(post(index, due, article))
            in_flight.add(task)
            task.add_done_callback(in_flight.discard)
        await asyncio.gather(*in_flight)
        took = time.time() - sent_at
    return {
        "rate_per_s": rate, "requests": len(articles) - warmup, "seconds": round(took, 2),
        "status_counts": dict(sorted(statuses.items())),
        "responses_5xx": sum(n for s, n in statuses.items() if s.startswith("5")),
        "responses_429": statuses.get("429", 0),
        "client_errors": dict(errors),
        "post_latency_ms": summarize(latencies[True]),
        "client_send_lag_ms": summarize(send_lag),
        "warmup": {"requests": warmup, "post_latency_ms": summarize(latencies[False])},
    }
