"""Read a stream through a consumer group, reliably.

For each consumed stream two readers share one consumer name:

- the *reader* takes new entries in batches (XREADGROUP COUNT=batch_size):
  a plain loop (``reader.StreamReader``), the hot path;
- the *reclaimer*, a FastStream subscriber, takes entries idle too long on
  any consumer (XAUTOCLAIM), one by one, and sends an entry delivered more
  than ``max_deliveries`` times to the dead-letter stream instead of
  processing it again. An attempt whose writes Redis refused (out of
  memory, read-only) does not count (``refusals``).

Entries are decoded by a tolerant parser: an entry that is not a valid
message goes to the dead-letter stream with its error; it never blocks the
rest of its batch. The handler returns the entries it could not process
(``ItemFailure``: bad data, never retried); raising instead means "transient":
the batch stays pending and is reclaimed later. The batch is acknowledged
when the handler returns, unless the consumer ``acks_itself``: then the
handler acknowledges each entry (XACK) once its work is recorded, and may
return before that (the notifier's deliveries); the consumer acknowledges
only the entries it dead-letters.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from faststream import AckPolicy
from faststream.redis import RedisBroker, RedisStreamMessage, StreamSub
from pydantic import BaseModel
from redis.asyncio import Redis
from watchfloor.shared.keys import Keys
from watchfloor.shared.logging import get_logger
from watchfloor.shared.pipeline import kept_streams
from watchfloor.shared.redis_replies import as_str
from watchfloor.shared.settings import Settings
from watchfloor.shared.streams.codec import MalformedEntry, decode, raw_fields_text
from watchfloor.shared.streams.deadletter import DeadLetter, add_dead_letters
from watchfloor.shared.streams.reader import Entries, StreamReader
from watchfloor.shared.streams.refusals import give_back_deliveries, refuses_writes

M = TypeVar("M", bound=BaseModel)
log = get_logger("watchfloor.streams")

_DECODED = "watchfloor_decoded"
_PLACEHOLDER = {b"__data__": b"null"}


@dataclass(frozen=True)
class Incoming(Generic[M]):
    entry_id: str
    message: M
    raw: dict[Any, Any]


@dataclass(frozen=True)
class ItemFailure:
    """An entry that cannot be processed (bad data): it goes to dead letters."""

    entry_id: str
    error: str


def succeeded(batch: Sequence[Incoming[Any]], failures: Sequence[ItemFailure]) -> list[str]:
    """The entry ids of ``batch`` not among ``failures``: what a consumer that
    ``acks_itself`` acknowledges with its writes (failures go to dead letters)."""
    failed = {f.entry_id for f in failures}
    return [item.entry_id for item in batch if item.entry_id not in failed]


BatchHandler = Callable[[list[Incoming[M]]], Awaitable[list[ItemFailure]]]


@dataclass(frozen=True)
class StreamConsumer(Generic[M]):
    stream: str
    group: str
    model: type[M]
    handle: BatchHandler[M]
    batch_size: int | None = None  # default: settings.batch_size
    acks_itself: bool = False  # the handler XACKs each entry once its work is recorded


def _tolerant_parser(model: type[BaseModel]) -> Callable[..., Awaitable[Any]]:
    async def parse(msg: dict[str, Any], original: Callable[..., Awaitable[Any]]) -> Any:
        data = msg["data"]
        entries = data if isinstance(data, list) else [data]
        msg[_DECODED] = [(entry, decode(entry, model)) for entry in entries]
        # FastStream's own decoding of a malformed entry would raise and leave
        # the whole batch pending; it gets a placeholder, we keep the original.
        msg["data"] = [_PLACEHOLDER] * len(entries) if isinstance(data, list) else _PLACEHOLDER
        return await original(msg)

    return parse


async def _whole_message(msg: RedisStreamMessage) -> RedisStreamMessage:
    """The handlers take the message itself (its entry ids and decoded
    entries); the broker runs them without dependency injection, which would
    resolve a message parameter in a worker thread on every call."""
    return msg


def _split(entries: Entries, consumer: StreamConsumer[M]) -> tuple[list[Incoming[M]], list[DeadLetter]]:
    good: list[Incoming[M]] = []
    bad: list[DeadLetter] = []
    for entry_id, fields, decoded in entries:
        eid = as_str(entry_id)
        if isinstance(decoded, MalformedEntry):
            bad.append(DeadLetter(consumer.stream, consumer.group, eid, decoded.error, decoded.payload))
        else:
            good.append(Incoming(eid, decoded, fields))
    return good, bad


def _entries(msg: RedisStreamMessage) -> Entries:
    """(entry id, fields, decoded) of a message the reclaimer got from FastStream."""
    raw = msg.raw_message
    return [(entry_id, fields, decoded)
            for entry_id, (fields, decoded) in zip(raw["message_ids"], raw[_DECODED], strict=True)]


async def _process(
    redis: Redis, keys: Keys, consumer: StreamConsumer[M], entries: Entries, deliveries: int = 1
) -> None:
    good, dead = _split(entries, consumer)
    if good:
        by_id = {item.entry_id: item for item in good}
        for failure in await consumer.handle(good):
            item = by_id[failure.entry_id]
            dead.append(
                DeadLetter(consumer.stream, consumer.group, item.entry_id, failure.error,
                           raw_fields_text(item.raw), deliveries)
            )
    for letter in dead:
        log.warning("dead_letter", stream=letter.stream, entry_id=letter.entry_id, error=letter.error)
    await add_dead_letters(redis, keys, dead)
    if consumer.acks_itself and dead:
        await redis.xack(consumer.stream, consumer.group, *(letter.entry_id for letter in dead))


def attach_consumer(
    broker: RedisBroker,
    redis: Callable[[], Redis],
    consumer: StreamConsumer[Any],
    *,
    settings: Settings,
    keys: Keys,
    consumer_name: str,
    on_lost_group: Callable[[], None],
) -> list[Any]:
    """The reader (``StreamReader``, started and stopped by the worker) and
    the reclaimer (a FastStream subscriber on ``broker``) for ``consumer``."""
    parser = _tolerant_parser(consumer.model)
    acks: dict[str, Any] = {"ack_policy": AckPolicy.MANUAL} if consumer.acks_itself else {}

    async def process(entries: Entries) -> None:
        await _process(redis(), keys, consumer, entries)

    reader = StreamReader(
        redis, stream=consumer.stream, group=consumer.group, consumer_name=consumer_name,
        model=consumer.model, batch_size=consumer.batch_size or settings.batch_size,
        block_ms=settings.poll_interval_ms, acks_itself=consumer.acks_itself, process=process,
        graceful_timeout_s=settings.graceful_timeout_s, on_lost_group=on_lost_group,
        trims_acknowledged=consumer.stream not in kept_streams(keys),
    )
    reclaimer = broker.subscriber(
        stream=StreamSub(
            consumer.stream,
            group=consumer.group,
            consumer=consumer_name,
            min_idle_time=settings.reclaim_idle_ms,
            # an entry waits reclaim_idle_ms before it can be taken: looking
            # for one every tenth of that (0.5-5 s) keeps the delay close to it
            polling_interval=max(settings.poll_interval_ms, 500,
                                 min(settings.reclaim_idle_ms // 10, 5_000)),
        ),
        parser=parser,
        decoder=_whole_message,
        title=f"{consumer.group}:{consumer.stream}:reclaim",
        **acks,
    )

    @reclaimer
    async def reclaim_one(msg: RedisStreamMessage) -> None:
        deliveries = await msg.get_delivery_count()
        try:
            await _reclaimed(msg, deliveries)
        except Exception as exc:  # the entry stays pending
            if refuses_writes(exc):
                (entry_id,) = msg.raw_message["message_ids"]
                await give_back_deliveries(redis(), consumer.stream, consumer.group,
                                           consumer_name, [as_str(entry_id)], deliveries - 1)
            raise

    async def _reclaimed(msg: RedisStreamMessage, deliveries: int) -> None:
        if deliveries > settings.max_deliveries:
            raw = msg.raw_message
            (entry_id,) = raw["message_ids"]
            ((fields, _),) = raw[_DECODED]
            letter = DeadLetter(
                consumer.stream, consumer.group, as_str(entry_id),
                f"delivered {deliveries} times without being acknowledged "
                f"(max_deliveries={settings.max_deliveries})",
                raw_fields_text(fields), deliveries,
            )
            log.warning("dead_letter", stream=letter.stream, entry_id=letter.entry_id, error=letter.error)
            await add_dead_letters(redis(), keys, [letter])
            if consumer.acks_itself:
                await redis().xack(consumer.stream, consumer.group, letter.entry_id)
            return
        log.info("reclaimed_entry", stream=consumer.stream, deliveries=deliveries)
        await _process(redis(), keys, consumer, _entries(msg), deliveries)

    return [reader, reclaimer]
