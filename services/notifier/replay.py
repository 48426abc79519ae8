"""Send failed deliveries again, after the receiving end was fixed."""

from __future__ import annotations

from pydantic import ValidationError
from redis.asyncio import Redis
from watchfloor.shared.keys import Keys
from watchfloor.shared.schemas import Delivery
from watchfloor.shared.streams.codec import encode
from watchfloor.shared.streams.deadletter import claim_for_replay, oldest_first


async def replay_failed_deliveries(redis: Redis, keys: Keys, *, limit: int = 100) -> int:
    """Move up to ``limit`` failed deliveries, oldest first, back onto the
    deliveries stream with a fresh retry schedule. Same delivery id, so a
    receiver that did get one after all can still tell it is a repeat. A
    delivery names its target (watchlist and target name), never its URL, so
    the notifier sends it to the target as configured when it is sent.
    Unreadable entries stay where they are and do not count."""
    replayed = 0
    async for entry_id, fields in oldest_first(redis, keys.failed_deliveries):
        if replayed == limit:
            break
        try:
            delivery = Delivery.model_validate_json(fields[b"payload"])
        except (KeyError, ValidationError):
            continue  # not ours to guess at; it stays for an operator to read
        if not await claim_for_replay(redis, keys, keys.failed_deliveries, entry_id):
            continue  # another replay is moving it
        async with redis.pipeline(transaction=True) as pipe:
            stream = keys.stream("deliveries", keys.partition_of(delivery.alert.article.id))
            pipe.xadd(stream, encode(delivery.model_copy(update={"attempt": 1})))
            pipe.xdel(keys.failed_deliveries, entry_id)
            await pipe.execute()
        replayed += 1
    return replayed
