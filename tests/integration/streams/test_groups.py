"""Group upkeep on a real Redis: creation from 0, safe trimming, dead consumers."""

from __future__ import annotations

import pytest
from watchfloor.shared.streams.groups import ensure_group, forget_dead_consumers, trim_acknowledged

pytestmark = pytest.mark.integration


async def test_group_created_from_zero_sees_the_backlog(redis_client, keys):
    await redis_client.xadd(keys.articles, {"n": 1})
    assert await ensure_group(redis_client, keys.articles, "g") is True
    assert await ensure_group(redis_client, keys.articles, "g") is False  # idempotent
    got = await redis_client.xreadgroup("g", "c", {keys.articles: ">"})
    assert len(got[0][1]) == 1


async def test_trim_never_drops_entries_a_group_has_not_acknowledged(redis_client, keys):
    stream = keys.articles
    await ensure_group(redis_client, stream, "fast")
    await ensure_group(redis_client, stream, "slow")
    ids = [await redis_client.xadd(stream, {"n": i}) for i in range(300)]
    # fast reads and acks everything; slow reads 200 and acks the first 150
    fast = await redis_client.xreadgroup("fast", "c", {stream: ">"}, count=300)
    await redis_client.xack(stream, "fast", *[e[0] for e in fast[0][1]])
    slow = await redis_client.xreadgroup("slow", "c", {stream: ">"}, count=200)
    await redis_client.xack(stream, "slow", *[e[0] for e in slow[0][1]][:150])

    removed = await trim_acknowledged(redis_client, stream, maxlen=100)

    remaining = [e[0] for e in await redis_client.xrange(stream)]
    assert removed == 150
    assert remaining == ids[150:]  # the 50 pending on "slow" and the 100 unread stay


async def test_trim_keeps_everything_while_a_group_lags_behind_maxlen(redis_client, keys):
    stream = keys.articles
    await ensure_group(redis_client, stream, "g")
    for i in range(50):
        await redis_client.xadd(stream, {"n": i})
    assert await trim_acknowledged(redis_client, stream, maxlen=10) == 0
    assert await redis_client.xlen(stream) == 50


async def test_trim_to_maxlen_once_everything_is_acknowledged(redis_client, keys):
    stream = keys.articles
    await ensure_group(redis_client, stream, "g")
    for i in range(50):
        await redis_client.xadd(stream, {"n": i})
    read = await redis_client.xreadgroup("g", "c", {stream: ">"}, count=50)
    await redis_client.xack(stream, "g", *[e[0] for e in read[0][1]])
    assert await trim_acknowledged(redis_client, stream, maxlen=10) == 40
    assert await redis_client.xlen(stream) == 10


async def test_idle_consumers_without_pending_entries_are_forgotten(redis_client, keys):
    stream = keys.articles
    await ensure_group(redis_client, stream, "g")
    await redis_client.xadd(stream, {"n": 1})
    await redis_client.xreadgroup("g", "holder", {stream: ">"})  # holds one entry
    await redis_client.xgroup_createconsumer(stream, "g", "idle-empty")  # holds nothing
    await redis_client.xgroup_createconsumer(stream, "g", "me")

    removed = await forget_dead_consumers(redis_client, stream, "g", idle_ms=0, keep="me")

    assert removed == ["idle-empty"]
    names = {c["name"].decode() for c in await redis_client.xinfo_consumers(stream, "g")}
    assert names == {"holder", "me"}


async def test_trim_of_a_work_queue_keeps_only_what_a_group_still_needs(redis_client, keys):
    stream = keys.articles
    await ensure_group(redis_client, stream, "g")
    ids = [await redis_client.xadd(stream, {"n": i}) for i in range(50)]
    read = await redis_client.xreadgroup("g", "c", {stream: ">"}, count=30)
    await redis_client.xack(stream, "g", *[e[0] for e in read[0][1]][:20])
    assert await trim_acknowledged(redis_client, stream, maxlen=0) == 20
    assert [e[0] for e in await redis_client.xrange(stream)] == ids[20:]  # pending and unread
