"""A batch's writes go with the reader's next read, on a real Redis: one
round trip per batch, the same outcomes as a transaction sent alone."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
import redis.asyncio as aioredis
from redis.asyncio.connection import AbstractConnection
from structlog.testing import capture_logs
from watchfloor.shared.keys import Keys
from watchfloor.shared.redis_client import redis_client as worker_client
from watchfloor.shared.redis_server import LocalRedisServer
from watchfloor.shared.replication import NO_REPLICATION
from watchfloor.shared.schemas import Article
from watchfloor.shared.settings import Settings
from watchfloor.shared.streams.acknowledge import recorded_then_acked
from watchfloor.shared.streams.codec import encode
from watchfloor.shared.streams.groups import ensure_group
from watchfloor.shared.streams.next_read import WritesWithNextRead
from watchfloor.shared.streams.reader import Entries, StreamReader

from tests.redis_backend import ON_CLUSTER

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(ON_CLUSTER, reason="on a cluster the writes and the XACK go apart, at once"),
]


def _article(n: int) -> Article:
    return Article(id=f"a{n}", url=f"https://example.org/{n}", title=f"Item {n}",
                   text="Invented text.", source="test")


async def _until(check: Callable[[], Awaitable[bool]], seconds: float = 3.0) -> None:
    async def wait() -> None:
        while not await check():
            await asyncio.sleep(0.02)
    await asyncio.wait_for(wait(), seconds)


class Packets:
    """What the process sends to Redis, one packet (one round trip) at a time."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.sent: list[bytes] = []
        send = AbstractConnection.send_packed_command

        async def recorded(connection, command, *args, **kwargs):
            chunks = [command] if isinstance(command, bytes | str) else command
            self.sent.append(b"".join(c if isinstance(c, bytes) else str(c).encode()
                                      for c in chunks))
            return await send(connection, command, *args, **kwargs)

        monkeypatch.setattr(AbstractConnection, "send_packed_command", recorded)

    def holding(self, *words: bytes) -> int:
        return sum(1 for packet in self.sent if all(w in packet for w in words))


def _reader(redis_client: aioredis.Redis, keys: Keys,
            record: Callable[[object, Entries], None],
            before: Callable[[], Awaitable[None]] | None = None,
            block_ms: int = 10_000, trims: bool = False) -> StreamReader:
    """A reader whose handler records each batch with ``recorded_then_acked``."""
    async def process(entries: Entries) -> None:
        if before is not None:
            await before()
        async with recorded_then_acked(
                redis_client, (keys.articles, "g"), [e[0] for e in entries],
                probe=keys.probe(keys.metrics), replication=NO_REPLICATION,
                cluster=False) as pipe:
            record(pipe, entries)

    # by default a long block: a batch's writes must not wait for a read to
    # time out (what Redis answered to them is known when the read returns)
    return StreamReader(
        lambda: redis_client, stream=keys.articles, group="g", consumer_name="c",
        model=Article, batch_size=10, block_ms=block_ms, acks_itself=True, process=process,
        graceful_timeout_s=5.0, on_lost_group=lambda: None, trims_acknowledged=trims)


def _copy_to_output(keys: Keys) -> Callable[[object, Entries], None]:
    def record(pipe, entries: Entries) -> None:
        for _, _, article in entries:
            pipe.xadd(keys.stream("classified"), {"id": article.id})
        pipe.hincrby(keys.metrics, "classified", len(entries))
    return record


async def _pending(redis_client: aioredis.Redis, keys: Keys) -> int:
    return int((await redis_client.xpending(keys.articles, "g"))["pending"])


async def test_each_batch_s_writes_and_ack_go_with_the_next_read(
        redis_client: aioredis.Redis, keys: Keys, monkeypatch: pytest.MonkeyPatch) -> None:
    await ensure_group(redis_client, keys.articles, "g")
    reader = _reader(redis_client, keys, _copy_to_output(keys))
    await reader.start()
    try:
        await asyncio.sleep(0.2)  # the first read waits
        packets = Packets(monkeypatch)
        for n in range(1, 6):
            await redis_client.xadd(keys.articles, encode(_article(n)))

            async def handled(n: int = n) -> bool:
                return (await redis_client.xlen(keys.stream("classified")) == n
                        and await _pending(redis_client, keys) == 0)

            # written and acknowledged at once, not when the read's 10 s block ends
            await _until(handled)
    finally:
        await reader.stop()
    # one packet per batch: its writes, its XACK and the next read
    assert packets.holding(b"EXEC", b"XACK", b"XREADGROUP") == 5
    assert packets.holding(b"EXEC") == 5
    assert await redis_client.hget(keys.metrics, "classified") == b"5"


async def _one_entry_until_logged(redis_client: aioredis.Redis, keys: Keys,
                                   record: Callable[[object, Entries], None],
                                   event: str) -> dict:
    """Handle one entry with ``record`` (a short block: what Redis answered is
    read with the next read's reply) until ``event`` is logged; that record."""
    reader = _reader(redis_client, keys, record, block_ms=200)
    with capture_logs() as logs:
        await reader.start()
        try:
            await redis_client.xadd(keys.articles, encode(_article(1)))

            async def reported() -> bool:
                return any(e["event"] == event for e in logs)

            await _until(reported)
        finally:
            await reader.stop()
    return next(e for e in logs if e["event"] == event)


async def test_a_transaction_redis_refuses_is_logged_and_acknowledges_nothing(
        redis_client: aioredis.Redis, keys: Keys) -> None:
    await ensure_group(redis_client, keys.articles, "g")

    def refused(pipe, entries: Entries) -> None:
        _copy_to_output(keys)(pipe, entries)
        pipe.execute_command("NO-SUCH-COMMAND")  # refused when queued, as OOM would be

    report = await _one_entry_until_logged(redis_client, keys, refused, "batch_writes_refused")
    assert "NO-SUCH-COMMAND" in report["error"].upper() and report["stream"] == keys.articles
    assert await _pending(redis_client, keys) == 1  # left for the reclaimer
    assert await redis_client.xlen(keys.stream("classified")) == 0


async def test_a_write_that_fails_when_it_runs_is_logged_and_the_rest_applied(
        redis_client: aioredis.Redis, keys: Keys) -> None:
    await ensure_group(redis_client, keys.articles, "g")
    await redis_client.set(keys.stream("wrong-type"), "a string")

    def one_fails(pipe, entries: Entries) -> None:
        pipe.hincrby(keys.stream("wrong-type"), "n", 1)  # WRONGTYPE when it runs
        _copy_to_output(keys)(pipe, entries)

    report = await _one_entry_until_logged(redis_client, keys, one_fails, "batch_write_failed")
    assert "WRONGTYPE" in report["error"]
    assert await redis_client.xlen(keys.stream("classified")) == 1
    assert await _pending(redis_client, keys) == 0  # as when the transaction went alone


async def test_stopping_sends_the_last_batch_s_writes(
        redis_client: aioredis.Redis, keys: Keys) -> None:
    await ensure_group(redis_client, keys.articles, "g")
    started, release = asyncio.Event(), asyncio.Event()

    async def slow() -> None:
        started.set()
        await release.wait()

    reader = _reader(redis_client, keys, _copy_to_output(keys), before=slow)
    await reader.start()
    await redis_client.xadd(keys.articles, encode(_article(1)))
    await asyncio.wait_for(started.wait(), 3)
    stopping = asyncio.create_task(reader.stop())  # while the batch is in hand
    await asyncio.sleep(0.1)
    release.set()
    await asyncio.wait_for(stopping, 5)
    # sent when the reader stopped, with no read to go with
    assert await redis_client.xlen(keys.stream("classified")) == 1
    assert await _pending(redis_client, keys) == 0


async def test_outside_a_reader_s_handler_the_transaction_goes_at_once(
        redis_client: aioredis.Redis, keys: Keys) -> None:
    """A task a handler started, recording after the handler returned (or the
    reclaimer's handler calls), must not wait for a read that may be blocked."""
    await ensure_group(redis_client, keys.articles, "g")
    await redis_client.xadd(keys.articles, encode(_article(1)))
    got = await redis_client.xreadgroup("g", "c", {keys.articles: ">"}, count=1)
    entry_id = got[0][1][0][0].decode()
    queue = WritesWithNextRead()
    go = asyncio.Event()

    async def later() -> None:
        await go.wait()
        async with recorded_then_acked(
                redis_client, (keys.articles, "g"), [entry_id],
                probe=keys.probe(keys.metrics), replication=NO_REPLICATION,
                cluster=False) as pipe:
            pipe.xadd(keys.stream("classified"), {"id": "a1"})

    with queue.collecting():
        task = asyncio.create_task(later())  # inherits the handler's context
    go.set()
    await asyncio.wait_for(task, 3)
    assert queue.take() == []
    assert await redis_client.xlen(keys.stream("classified")) == 1
    assert await _pending(redis_client, keys) == 0


async def test_writes_lost_with_the_connection_leave_their_entries_pending(
        tmp_path: Path) -> None:
    """Redis dies while a batch is in hand: its writes, sent with the next
    read, never arrive. Nothing is acknowledged, so the entry waits for the
    reclaimer after the restart; the reader carries on with new entries."""
    server = LocalRedisServer(tmp_path / "redis", fsync_always=True).start()
    settings = Settings(_env_file=None, redis_url=server.url, redis_cluster=False)
    client = worker_client(settings, long_lived=True)  # as a worker's
    keys = Keys("nextread")
    started, release = asyncio.Event(), asyncio.Event()

    async def first_batch_waits() -> None:
        if not started.is_set():
            started.set()
            await release.wait()

    reader = _reader(client, keys, _copy_to_output(keys), before=first_batch_waits)
    try:
        await ensure_group(client, keys.articles, "g")
        await reader.start()
        await client.xadd(keys.articles, encode(_article(1)))
        await asyncio.wait_for(started.wait(), 3)
        with capture_logs() as logs:
            server.kill()  # the batch's transaction has nowhere to go
            release.set()

            async def unconfirmed() -> bool:
                return any(e["event"] == "batch_writes_unconfirmed" for e in logs)

            await _until(unconfirmed)
            server.start()  # same port, its append-only file read back

            await client.xadd(keys.articles, encode(_article(2)))

            async def second_written() -> bool:
                return await client.xlen(keys.stream("classified")) == 1

            await _until(second_written, 10)  # after the reader's retry
        # the first entry was not acknowledged: still pending, to be reclaimed
        pending = await client.xpending_range(keys.articles, "g", "-", "+", 10)
        first = (await client.xrange(keys.articles, count=1))[0][0]
        assert [p["message_id"] for p in pending] == [first]
        assert (await client.xrange(keys.stream("classified")))[0][1][b"id"] == b"a2"
    finally:
        await reader.stop()
        await client.aclose()
        server.stop()


async def _process_backlog(redis_client: aioredis.Redis, keys: Keys, reader: StreamReader,
                           count: int, left_pending: int = 0) -> None:
    """Start ``reader`` on a backlog and wait until it has written and
    acknowledged ``count`` entries (batches of 10); ``left_pending``: entries
    of its group that another consumer holds."""
    await reader.start()
    try:
        async def done() -> bool:
            return (await redis_client.xlen(keys.stream("classified")) == count
                    and await _pending(redis_client, keys) == left_pending)
        await _until(done)
        await asyncio.sleep(0.1)  # the last batch's transaction, with the next read
    finally:
        await reader.stop()


async def test_a_work_queue_keeps_no_more_than_a_trim_s_worth_of_done_entries(
        redis_client: aioredis.Redis, keys: Keys, monkeypatch: pytest.MonkeyPatch) -> None:
    from watchfloor.shared.streams.reader import TRIM_AFTER_ENTRIES

    await ensure_group(redis_client, keys.articles, "g")
    ids = [await redis_client.xadd(keys.articles, encode(_article(n))) for n in range(250)]
    packets = Packets(monkeypatch)
    await _process_backlog(redis_client, keys,
                           _reader(redis_client, keys, _copy_to_output(keys), trims=True), 250)
    # trimmed after the 100th and the 200th entry, in those batches' transactions
    assert TRIM_AFTER_ENTRIES == 100
    assert [e[0] for e in await redis_client.xrange(keys.articles)] == ids[200:]
    assert packets.holding(b"XACK", b"XTRIM", b"XREADGROUP") == 2


async def test_a_queue_is_not_trimmed_by_a_reader_told_not_to(
        redis_client: aioredis.Redis, keys: Keys) -> None:
    await ensure_group(redis_client, keys.articles, "g")
    for n in range(150):
        await redis_client.xadd(keys.articles, encode(_article(n)))
    await _process_backlog(redis_client, keys, _reader(redis_client, keys, _copy_to_output(keys)),
                           150)
    assert await redis_client.xlen(keys.articles) == 150


async def test_the_trim_keeps_what_another_consumer_or_group_has_not_acknowledged(
        redis_client: aioredis.Redis, keys: Keys) -> None:
    await ensure_group(redis_client, keys.articles, "g")
    await ensure_group(redis_client, keys.articles, "late")  # reads nothing yet
    ids = [await redis_client.xadd(keys.articles, encode(_article(n))) for n in range(150)]
    # a copy of the worker took the first entry and has not acknowledged it
    await redis_client.xreadgroup("g", "other-copy", {keys.articles: ">"}, count=1)
    await _process_backlog(redis_client, keys,
                           _reader(redis_client, keys, _copy_to_output(keys), trims=True), 149,
                           left_pending=1)
    assert [e[0] for e in await redis_client.xrange(keys.articles)] == ids  # all still needed
    claimed = await redis_client.xautoclaim(keys.articles, "g", "other-copy", min_idle_time=0,
                                            start_id="0-0", count=1)
    assert claimed[1][0][0] == ids[0] and claimed[1][0][1]  # whole, still claimable
    await redis_client.xack(keys.articles, "g", ids[0])

    # the other group acknowledges the first 150 and holds the next ones
    late = await redis_client.xreadgroup("late", "c", {keys.articles: ">"}, count=150)
    await redis_client.xack(keys.articles, "late", *[e[0] for e in late[0][1]])
    for n in range(150, 260):
        ids.append(await redis_client.xadd(keys.articles, encode(_article(n))))
    await redis_client.xreadgroup("late", "c", {keys.articles: ">"}, count=200)
    await _process_backlog(redis_client, keys,
                           _reader(redis_client, keys, _copy_to_output(keys), trims=True), 259)
    # trimmed up to the first entry "late" still holds, not beyond
    assert [e[0] for e in await redis_client.xrange(keys.articles)] == ids[150:]
