"""Publish messages to a stream in one round trip."""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import BaseModel
from redis.asyncio import Redis
from watchfloor.shared.redis_replies import as_str
from watchfloor.shared.streams.codec import encode


async def publish(redis: Redis, stream: str, messages: Sequence[BaseModel]) -> list[str]:
    """XADD each message (pipelined). Streams are trimmed by the maintenance
    loop, never here: MAXLEN at publish time could drop unread entries."""
    if not messages:
        return []
    async with redis.pipeline(transaction=False) as pipe:
        for message in messages:
            pipe.xadd(stream, encode(message))
        ids = await pipe.execute()
    return [as_str(i) for i in ids]
