"""Concurrent publishes go to the sink together, each request gets its own outcomes."""

from __future__ import annotations

import asyncio

import pytest
from watchfloor.services.ingest.grouping import GroupedSink
from watchfloor.services.ingest.publisher import IngestOutcome
from watchfloor.shared.schemas import Article


def articles(*ids: str) -> list[Article]:
    return [Article(id=i, title=f"title {i}") for i in ids]


class SlowSink:
    """Records each call; the first waits until released, so others queue meanwhile."""

    def __init__(self, fail: bool = False) -> None:
        self.calls: list[list[str]] = []
        self.release = asyncio.Event()
        self.fail = fail

    async def publish(self, batch: list[Article]) -> list[IngestOutcome]:
        self.calls.append([a.id for a in batch])
        if len(self.calls) == 1:
            await self.release.wait()
        if self.fail:
            raise ConnectionError("redis went away")
        return [IngestOutcome(a.id, "new", entry_id=f"{a.id}-entry") for a in batch]

    async def record_rejected(self, count: int) -> None:
        pass


async def test_publishes_arriving_meanwhile_go_together_in_order() -> None:
    sink = SlowSink()
    grouped = GroupedSink(sink, max_articles=100)
    first = asyncio.create_task(grouped.publish(articles("a")))
    await asyncio.sleep(0)  # the first goes at once, alone
    others = [asyncio.create_task(grouped.publish(articles(f"b{i}", f"c{i}"))) for i in range(3)]
    await asyncio.sleep(0)
    sink.release.set()
    assert [o.article_id for o in await first] == ["a"]
    for i, task in enumerate(others):
        assert [o.article_id for o in await task] == [f"b{i}", f"c{i}"]
    assert sink.calls == [["a"], ["b0", "c0", "b1", "c1", "b2", "c2"]]


async def test_a_group_holds_whole_requests_up_to_the_bound() -> None:
    sink = SlowSink()
    grouped = GroupedSink(sink, max_articles=3)
    first = asyncio.create_task(grouped.publish(articles("a")))
    await asyncio.sleep(0)
    rest = [asyncio.create_task(grouped.publish(articles(*ids)))
            for ids in (["b", "c"], ["d", "e"], ["f"])]
    await asyncio.sleep(0)
    sink.release.set()
    await asyncio.gather(first, *rest)
    assert sink.calls == [["a"], ["b", "c"], ["d", "e", "f"]]


async def test_an_error_reaches_every_request_of_its_group() -> None:
    sink = SlowSink(fail=True)
    grouped = GroupedSink(sink, max_articles=100)
    tasks = [asyncio.create_task(grouped.publish(articles(i))) for i in "abc"]
    await asyncio.sleep(0)
    sink.release.set()
    for task in tasks:
        with pytest.raises(ConnectionError):
            await task
    assert await GroupedSink(SlowSink(), 10).publish([]) == []
