"""Publishes of concurrent requests share their round trips to Redis.

Single-article POSTs arrive many at a time, and each alone pays the story
index's lookup and write and the dedupe-and-publish pipeline: a few round
trips and Lua calls for one article. ``GroupedSink`` queues what concurrent
requests publish and hands it to the sink as one list (at most
``max_articles``, whole requests), in arrival order, then gives each request
its own outcomes. Nothing waits for company: a publish that finds the sink
idle goes at once, and what arrives meanwhile goes together next. An error
reaches every request of its group (each may resend: what was published is
then a duplicate).
"""

from __future__ import annotations

import asyncio
from collections import deque
from dataclasses import dataclass

from watchfloor.services.ingest.publisher import ArticleSink, IngestOutcome
from watchfloor.shared.schemas import Article


@dataclass
class _Waiting:
    articles: list[Article]
    outcomes: asyncio.Future[list[IngestOutcome]]


class GroupedSink:
    """An ``ArticleSink`` whose concurrent publishes go to ``sink`` together."""

    def __init__(self, sink: ArticleSink, max_articles: int) -> None:
        self._sink = sink
        self._max = max_articles
        self._queue: deque[_Waiting] = deque()
        self._draining: asyncio.Task[None] | None = None

    async def publish(self, articles: list[Article]) -> list[IngestOutcome]:
        if not articles:
            return []
        waiting = _Waiting(list(articles), asyncio.get_running_loop().create_future())
        self._queue.append(waiting)
        if self._draining is None or self._draining.done():
            self._draining = asyncio.create_task(self._drain(), name="ingest-publish")
        return await waiting.outcomes

    async def record_rejected(self, count: int) -> None:
        await self._sink.record_rejected(count)

    def _next_group(self) -> list[_Waiting]:
        group = [self._queue.popleft()]
        size = len(group[0].articles)
        while self._queue and size + len(self._queue[0].articles) <= self._max:
            size += len(self._queue[0].articles)
            group.append(self._queue.popleft())
        return group

    async def _drain(self) -> None:
        while self._queue:
            group = self._next_group()
            try:
                outcomes = await self._sink.publish([a for w in group for a in w.articles])
            except asyncio.CancelledError:
                for waiting in group + list(self._queue):
                    waiting.outcomes.cancel()
                self._queue.clear()
                raise
            except Exception as exc:  # noqa: BLE001 - each request answers for it
                for waiting in group:
                    if not waiting.outcomes.done():  # its request may have gone
                        waiting.outcomes.set_exception(exc)
                continue
            start = 0
            for waiting in group:
                end = start + len(waiting.articles)
                if not waiting.outcomes.done():
                    waiting.outcomes.set_result(outcomes[start:end])
                start = end
