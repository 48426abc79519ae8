"""Publish messages to a stream in one round trip."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from pydantic import BaseModel
from redis.asyncio import Redis
from watchfloor.shared.keys import Keys
from watchfloor.shared.redis_replies import as_str
from watchfloor.shared.streams.codec import encode

M = TypeVar("M", bound=BaseModel)


async def publish(redis: Redis, stream: str, messages: Sequence[BaseModel]) -> list[str]:
    """XADD each message (pipelined). Streams are trimmed by the maintenance
    loop, never here: MAXLEN at publish time could drop unread entries."""
    return await _xadd_all(redis, [(stream, message) for message in messages])


def partitioned(
    keys: Keys, name: str, messages: Sequence[M], article_id: Callable[[M], str]
) -> list[tuple[str, M]]:
    """(stream, message): each message with the partition of stream ``name``
    its article goes through."""
    return [(keys.stream(name, keys.partition_of(article_id(message))), message)
            for message in messages]


async def _xadd_all(redis: Redis, entries: Sequence[tuple[str, BaseModel]]) -> list[str]:
    if not entries:
        return []
    async with redis.pipeline(transaction=False) as pipe:
        queue_publish(pipe, entries)
        ids = await pipe.execute()
    return [as_str(i) for i in ids]


def queue_publish(pipe: Any, entries: Sequence[tuple[str, BaseModel]]) -> None:
    """XADD each (stream, message) on ``pipe``, to go with other writes."""
    for stream, message in entries:
        pipe.xadd(stream, encode(message))


def queue_record(pipe: Any, stream: str, messages: Sequence[BaseModel], *, maxlen: int) -> None:
    """XADD each message on ``pipe`` to a history stream (one no group
    consumes), kept to about ``maxlen`` entries as it grows: no unread work
    can be dropped there."""
    for message in messages:
        pipe.xadd(stream, encode(message), maxlen=maxlen, approximate=True)
