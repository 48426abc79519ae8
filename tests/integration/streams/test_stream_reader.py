"""The plain XREADGROUP reader on a real Redis: a lost group stops it and is reported."""

from __future__ import annotations

import asyncio

import pytest
from watchfloor.shared.schemas import Article
from watchfloor.shared.streams.groups import ensure_group
from watchfloor.shared.streams.reader import StreamReader

pytestmark = pytest.mark.integration


async def test_a_stream_deleted_while_the_reader_waits_is_a_lost_group(redis_client, keys):
    # Redis 7 answers a read waiting on a deleted stream at once (UNBLOCKED);
    # 6.2, the server make test falls back to, lets it time out first
    version = (await redis_client.info("server"))["redis_version"]
    unblocks = int(version.split(".")[0]) >= 7
    block_ms = 5_000 if unblocks else 300
    await ensure_group(redis_client, keys.articles, "g")
    lost = asyncio.Event()

    async def process(_entries) -> None:
        raise AssertionError("nothing was written")

    reader = StreamReader(
        lambda: redis_client, stream=keys.articles, group="g", consumer_name="c",
        model=Article, batch_size=10, block_ms=block_ms, acks_itself=False, process=process,
        graceful_timeout_s=1.0, on_lost_group=lost.set)
    await reader.start()
    try:
        await asyncio.sleep(0.3)  # the read is waiting on the stream
        await redis_client.delete(keys.articles)  # a FLUSHALL, as far as the reader sees
        # reported at once, not after a failed read and a retry (RETRY_READ_S)
        await asyncio.wait_for(lost.wait(), 0.8 if unblocks else block_ms / 1000 + 0.8)
        assert reader.running is False
    finally:
        await reader.stop()
