"""Ingest under a flood of single-article POSTs: R requests a second, open
loop (each sent at its scheduled time, whatever the answers before it), for
S seconds. Reports the status codes (5xx and 429 apart), client errors, and
the POST latency from the scheduled send time (so a stalled server is not
hidden by a client that waited for it).
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from typing import Any

import aiohttp
from watchfloor.services.bench.pipeline_run import summarize


async def flood(url: str, articles: list[dict[str, Any]], rate: float,
                timeout_s: float = 30.0) -> dict[str, Any]:
    statuses: Counter[str] = Counter()
    errors: Counter[str] = Counter()
    latencies: list[float] = []
    connector = aiohttp.TCPConnector(limit=0)
    client_timeout = aiohttp.ClientTimeout(total=timeout_s)
    async with aiohttp.ClientSession(connector=connector, timeout=client_timeout) as http:
        loop = asyncio.get_running_loop()
        start = loop.time()

        async def post(i: int, article: dict[str, Any]) -> None:
            due = start + i / rate
            await asyncio.sleep(max(0.0, due - loop.time()))
            try:
                async with http.post(f"{url}/v1/articles", json=article) as reply:
                    await reply.read()
                    statuses[str(reply.status)] += 1
            except (aiohttp.ClientError, TimeoutError) as exc:
                errors[type(exc).__name__] += 1
                return
            latencies.append((loop.time() - due) * 1000)

        sent_at = time.time()
        await asyncio.gather(*(post(i, a) for i, a in enumerate(articles)))
        took = time.time() - sent_at
    return {
        "rate_per_s": rate, "requests": len(articles), "seconds": round(took, 2),
        "status_counts": dict(sorted(statuses.items())),
        "responses_5xx": sum(n for s, n in statuses.items() if s.startswith("5")),
        "responses_429": statuses.get("429", 0),
        "client_errors": dict(errors),
        "post_latency_ms": summarize(latencies),
    }
