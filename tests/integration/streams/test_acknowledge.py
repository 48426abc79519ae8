"""A batch's writes and its acknowledgement (``recorded_then_acked``) on a real Redis."""

from __future__ import annotations

import pytest
from watchfloor.shared.replication import NO_REPLICATION
from watchfloor.shared.streams.acknowledge import recorded_then_acked
from watchfloor.shared.streams.groups import ensure_group

from tests.redis_backend import ON_CLUSTER

pytestmark = pytest.mark.integration


async def _read_two(redis_client, keys) -> list[str]:
    await ensure_group(redis_client, keys.articles, "g")
    for n in range(2):
        await redis_client.xadd(keys.articles, {"n": n})
    got = await redis_client.xreadgroup("g", "c", {keys.articles: ">"}, count=10)
    return [entry_id.decode() for entry_id, _ in got[0][1]]


async def _pending(redis_client, keys) -> int:
    return int((await redis_client.xpending(keys.articles, "g"))["pending"])


@pytest.mark.parametrize("cluster", [False, True])  # together, or acked after the writes
async def test_the_writes_go_and_the_entries_are_acknowledged(redis_client, keys, cluster):
    ids = await _read_two(redis_client, keys)

    async with recorded_then_acked(redis_client, (keys.articles, "g"), ids,
                                   probe=keys.probe(keys.metrics), replication=NO_REPLICATION,
                                   cluster=cluster) as pipe:
        assert await _pending(redis_client, keys) == 2  # nothing acknowledged before the writes
        pipe.xadd(keys.stream("classified"), {"n": 1})
        pipe.hincrby(keys.metrics, "classified", 1)

    assert await _pending(redis_client, keys) == 0
    assert await redis_client.xlen(keys.stream("classified")) == 1
    assert await redis_client.hget(keys.metrics, "classified") == b"1"


async def test_nothing_is_written_or_acknowledged_when_the_block_raises(redis_client, keys):
    ids = await _read_two(redis_client, keys)

    with pytest.raises(RuntimeError):
        async with recorded_then_acked(redis_client, (keys.articles, "g"), ids,
                                       probe=keys.probe(keys.metrics),
                                       replication=NO_REPLICATION, cluster=False) as pipe:
            pipe.xadd(keys.stream("classified"), {"n": 1})
            raise RuntimeError("the handler failed part way")

    assert await _pending(redis_client, keys) == 2  # left for the reclaimer
    assert await redis_client.xlen(keys.stream("classified")) == 0


@pytest.mark.skipif(ON_CLUSTER, reason="the writes and the acknowledgement go together on a single Redis only")
async def test_a_transaction_redis_refuses_acknowledges_nothing(redis_client, keys):
    ids = await _read_two(redis_client, keys)

    with pytest.raises(Exception, match="unknown command"):
        async with recorded_then_acked(redis_client, (keys.articles, "g"), ids,
                                       probe=keys.probe(keys.metrics),
                                       replication=NO_REPLICATION, cluster=False) as pipe:
            pipe.xadd(keys.stream("classified"), {"n": 1})
            pipe.execute_command("NO-SUCH-COMMAND")  # refused when queued, as OOM would be

    assert await _pending(redis_client, keys) == 2
    assert await redis_client.xlen(keys.stream("classified")) == 0
