"""Leases on a real Redis: one holder at a time, freed only by its holder."""

from __future__ import annotations

import asyncio

import pytest
from watchfloor.shared.leases import new_token, queue_release, queue_take, release, single_lease

pytestmark = pytest.mark.integration


async def test_a_single_lease_has_one_holder_and_is_freed_by_it(redis_client, key_prefix):
    key = f"{key_prefix}:feed-lease:a"
    mine = single_lease(redis_client, key, 30)
    theirs = single_lease(redis_client, key, 30)
    assert await mine.acquire() is True
    assert await theirs.acquire() is False  # at once: no waiting
    assert 0 < await redis_client.ttl(key) <= 30
    assert await release(mine) is True
    assert await redis_client.exists(key) == 0
    assert await theirs.acquire() is True


async def test_an_expired_lease_is_not_freed_from_under_its_new_holder(redis_client, key_prefix):
    key = f"{key_prefix}:feed-lease:b"
    mine = single_lease(redis_client, key, 0.1)
    assert await mine.acquire()
    await asyncio.sleep(0.2)
    await redis_client.set(key, "other-copy", ex=30)  # expired, then retaken elsewhere
    assert await release(mine) is False
    assert await redis_client.get(key) == b"other-copy"


async def test_a_batch_of_leases_in_one_pipeline(redis_client, keys):
    keys = [f"{keys.base}:sending:{n}" for n in range(3)]  # one hash slot, as the notifier's
    await redis_client.set(keys[1], "other-copy", ex=30)
    tokens = [new_token() for _ in keys]
    async with redis_client.pipeline(transaction=False) as pipe:
        for key, token in zip(keys, tokens, strict=True):
            queue_take(pipe, key, token, 30)
        taken = await pipe.execute()
    assert taken == [True, None, True]

    held = [(k, t) for k, t, ok in zip(keys, tokens, taken, strict=True) if ok]
    async with redis_client.pipeline(transaction=True) as pipe:
        queue_release(pipe, held)
        queue_release(pipe, [])  # nothing to free: nothing queued
        (freed,) = await pipe.execute()
    assert freed == 2
    assert [await redis_client.exists(k) for k in keys] == [0, 1, 0]
