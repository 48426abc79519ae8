"""`watchfloor ingest` says how much it had published when Redis failed part
way through a file (it said 0 when 27 had gone)."""

from __future__ import annotations

import pytest
import redis.exceptions
from watchfloor.services.cli.ingest import _ingest_items, _Tally
from watchfloor.services.ingest.files import FileArticle
from watchfloor.services.ingest.prepare import prepare_article
from watchfloor.services.ingest.publisher import IngestOutcome


class FailingOnThirdBatch:
    def __init__(self) -> None:
        self.batches = 0

    async def publish(self, articles):
        self.batches += 1
        if self.batches == 3:
            raise redis.exceptions.OutOfMemoryError("command not allowed when used memory > 'maxmemory'")
        return [IngestOutcome(a.id, "new") for a in articles]

    async def record_rejected(self, count: int) -> None:
        pass


async def test_the_articles_published_before_a_failure_are_counted() -> None:
    items = [FileArticle(f"f:{n}", prepare_article({"title": f"Story {n}"})) for n in range(1, 8)]
    tally = _Tally()
    with pytest.raises(redis.exceptions.OutOfMemoryError):
        await _ingest_items(items, FailingOnThirdBatch(), 2, tally)
    assert tally.new == 4  # two batches of two
