"""Which workers are running, as `watchfloor status` and /metrics show them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fakeredis import FakeAsyncRedis
from redis.exceptions import OutOfMemoryError
from structlog.testing import capture_logs
from watchfloor.shared.keys import Keys
from watchfloor.shared.streams.metrics import render_metrics
from watchfloor.shared.streams.status import format_status
from watchfloor.shared.streams.workers import WorkerPresence, WorkerSeen, workers_seen

KEYS = Keys("t")
NOW = datetime(2031, 3, 4, 12, 0, tzinfo=UTC)


def seen(name: str, *, ago_s: float, parts: list[str] | None = None) -> WorkerSeen:
    return WorkerSeen(name=name, parts=parts or ["classifier"], host="node-1", pid=7,
                      version="1.2.3", started_at=NOW - timedelta(hours=2),
                      seen_at=NOW - timedelta(seconds=ago_s), interval_s=5)


async def test_a_worker_is_recorded_while_it_runs_and_gone_once_it_stops() -> None:
    redis = FakeAsyncRedis()
    presence = WorkerPresence(KEYS, "node-1-42", ["ingest", "notifier"], interval_s=5)
    await presence.beat(redis)
    (worker,) = await workers_seen(redis, KEYS, now=datetime.now(UTC))
    assert (worker.name, worker.parts) == ("node-1-42", ["ingest", "notifier"])
    assert not worker.silent(datetime.now(UTC))
    await presence.leave(redis)
    assert await workers_seen(redis, KEYS, now=datetime.now(UTC)) == []


async def test_a_worker_that_stops_refreshing_is_silent_then_forgotten() -> None:
    redis = FakeAsyncRedis()
    for worker in (seen("fresh", ago_s=4), seen("killed", ago_s=60), seen("gone", ago_s=90_000)):
        await redis.hset(KEYS.workers, worker.name, worker.model_dump_json())
    await redis.hset(KEYS.workers, "garbled", "{not json")

    found = await workers_seen(redis, KEYS, now=NOW)

    assert [(w.name, w.silent(NOW)) for w in found] == [("fresh", False), ("killed", True)]
    assert sorted(await redis.hkeys(KEYS.workers)) == [b"fresh", b"killed"]  # the rest removed


def status_with(workers: list[WorkerSeen]) -> dict:
    return {"prefix": "t", "streams": {}, "dead_letters": 0, "retries_scheduled": 0,
            "failed_deliveries": 0, "delivered": 0, "metrics": {},
            "workers": [w.as_status(NOW) for w in workers]}


def test_status_says_which_workers_run_and_which_fell_silent() -> None:
    table = format_status(status_with([
        seen("node-1-7", ago_s=3, parts=["ingest", "classifier", "notifier"]),
        seen("node-2-9", ago_s=300)]))
    assert ("node-1-7: ingest, classifier, notifier (pid 7 on node-1, 1.2.3): running, "
            "seen 3 s ago") in table
    assert "node-2-9: classifier (pid 7 on node-1, 1.2.3): SILENT, last seen 5 min ago" in table
    assert "workers: none running" in format_status(status_with([]))


def test_metrics_count_workers_by_part_and_state() -> None:
    exposition = render_metrics(status_with([
        seen("a", ago_s=3, parts=["ingest", "classifier"]), seen("b", ago_s=2),
        seen("c", ago_s=300)])).decode()
    assert 'watchfloor_workers{part="classifier",state="running"} 2.0' in exposition
    assert 'watchfloor_workers{part="classifier",state="silent"} 1.0' in exposition
    assert 'watchfloor_workers{part="ingest",state="running"} 1.0' in exposition


async def test_a_workers_time_is_redis_time_not_its_hosts_clock() -> None:
    redis = FakeAsyncRedis()
    redis_clock = NOW.timestamp()

    async def redis_time() -> tuple[int, int]:
        return int(redis_clock), 0

    redis.time = redis_time  # type: ignore[method-assign]  # Redis's clock, far from this host's
    await WorkerPresence(KEYS, "w", ["ingest"], interval_s=5).beat(redis)
    (worker,) = await workers_seen(redis, KEYS, now=NOW)
    assert worker.seen_at == NOW and not worker.silent(NOW)


async def test_a_stopping_worker_leaves_alone_a_record_of_another_of_its_name() -> None:
    redis = FakeAsyncRedis()
    first = WorkerPresence(KEYS, "dup", ["classifier"], interval_s=5)
    second = WorkerPresence(KEYS, "dup", ["classifier"], interval_s=5)
    await first.beat(redis)
    with capture_logs() as logs:
        await second.beat(redis)
    assert [e["event"] for e in logs] == ["worker_name_shared"]
    await first.leave(redis)  # the record is the second's now
    assert [w.name for w in await workers_seen(redis, KEYS, now=datetime.now(UTC))] == ["dup"]
    await second.leave(redis)
    assert await workers_seen(redis, KEYS, now=datetime.now(UTC)) == []


async def test_status_reads_workers_when_redis_refuses_writes() -> None:
    redis = FakeAsyncRedis()
    await redis.hset(KEYS.workers, "gone", seen("gone", ago_s=90_000).model_dump_json())

    async def refused(*_: object) -> int:
        raise OutOfMemoryError("command not allowed when used memory > 'maxmemory'.")

    redis.hdel = refused  # type: ignore[method-assign]  # a full Redis takes no writes
    assert await workers_seen(redis, KEYS, now=NOW) == []


def test_metrics_say_zero_for_a_part_with_no_worker() -> None:
    exposition = render_metrics(status_with([])).decode()
    assert 'watchfloor_workers{part="classifier",state="running"} 0.0' in exposition
