"""Which workers are running, for ``watchfloor status`` and /metrics.

A consumer group cannot say: Redis 7.0 lists a consumer only once it has
read an entry (a worker waiting on an empty stream is in no group), and the
maintenance pass removes consumers idle for a minute that hold nothing. So
each worker process records itself in one hash (``keys.workers``) when it
starts and at every maintenance pass (``maintenance_interval_s``), and removes
its record when it stops. A record not refreshed for three of its intervals
is a worker that stopped without a word or cannot reach Redis; one not
refreshed for a day is forgotten. Times are Redis's (TIME), so workers on
hosts whose clocks differ are judged alike. Each process's record carries an
instance token: a worker stopping never removes the record of another that
uses the same name, and a worker that finds such a record says so.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import socket
from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError
from redis.asyncio import Redis
from redis.exceptions import RedisError
from watchfloor.shared.keys import Keys
from watchfloor.shared.logging import get_logger
from watchfloor.shared.redis_replies import as_str
from watchfloor.shared.streams.refusals import refuses_writes
from watchfloor.shared.version import installed_version

log = get_logger("watchfloor.worker")

FORGET_AFTER = timedelta(days=1)
MISSED_BEATS = 3  # refreshes a worker may miss before it is shown as silent
PARTS = ("ingest", "classifier", "notifier")

# KEYS: the workers hash; ARGV: name, record, instance token.
# Returns the record replaced when another process wrote it, else false.
_BEAT = """
local old = redis.call('HGET', KEYS[1], ARGV[1])
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
if old and not string.find(old, ARGV[3], 1, true) then return old end
return false
"""
# Removes the record only while it is this process's.
_LEAVE = """
local old = redis.call('HGET', KEYS[1], ARGV[1])
if old and string.find(old, ARGV[2], 1, true) then redis.call('HDEL', KEYS[1], ARGV[1]) end
return 0
"""


class WorkerSeen(BaseModel):
    """One worker process, as it last said."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    name: str  # its consumer name (WATCHFLOOR_CONSUMER_NAME, else host-pid)
    parts: list[str]  # ingest, classifier, notifier
    host: str
    pid: int
    version: str
    started_at: datetime
    seen_at: datetime  # Redis's time
    interval_s: float  # how often it refreshes this record
    instance: str = ""  # this process's token

    def silent(self, now: datetime) -> bool:
        return now - self.seen_at > timedelta(seconds=MISSED_BEATS * self.interval_s + 5)

    def as_status(self, now: datetime) -> dict[str, Any]:
        """What ``watchfloor status --json`` and /metrics show of it."""
        return {**self.model_dump(mode="json"),
                "seen_s_ago": round((now - self.seen_at).total_seconds()),
                "silent": self.silent(now)}


async def redis_now(redis: Redis) -> datetime:
    seconds, micros = await redis.time()
    return datetime.fromtimestamp(int(seconds) + int(micros) / 1e6, UTC)


async def workers_seen(redis: Redis, keys: Keys, *, now: datetime) -> list[WorkerSeen]:
    """The workers recorded, by name; records a day old (or unreadable) are
    removed when Redis takes writes (status and /metrics work when it does not)."""
    found, stale = [], []
    for name, raw in (await redis.hgetall(keys.workers)).items():
        try:
            worker = WorkerSeen.model_validate_json(raw)
        except ValidationError:
            stale.append(as_str(name))
            continue
        if now - worker.seen_at > FORGET_AFTER:
            stale.append(worker.name)
        else:
            found.append(worker)
    if stale:
        try:
            await redis.hdel(keys.workers, *stale)
        except RedisError as exc:
            if not refuses_writes(exc):
                raise
    return sorted(found, key=lambda w: w.name)


class WorkerPresence:
    """Keeps one worker process's record while it runs: ``beat`` at start and
    at each maintenance pass, ``leave`` when it stops."""

    def __init__(self, keys: Keys, name: str, parts: list[str], interval_s: float) -> None:
        now = datetime.now(UTC)
        self._keys = keys
        self._seen = WorkerSeen(name=name, parts=parts, host=socket.gethostname(),
                                pid=os.getpid(), version=installed_version(),
                                started_at=now, seen_at=now, interval_s=interval_s,
                                instance=secrets.token_hex(8))

    async def beat(self, redis: Redis) -> None:
        now = await redis_now(redis)
        seen = self._seen.model_copy(update={"seen_at": now})
        # EVAL, not EVALSHA: a few hundred bytes every few seconds
        replaced = await redis.eval(_BEAT, 1, self._keys.workers, seen.name,
                                    seen.model_dump_json(), seen.instance)
        with contextlib.suppress(ValidationError):
            other = WorkerSeen.model_validate_json(replaced) if replaced else None
            if other is not None and not other.silent(now):
                log.warning("worker_name_shared", name=seen.name, other_pid=other.pid,
                            other_host=other.host,
                            hint="give each worker its own WATCHFLOOR_CONSUMER_NAME: two "
                                 "workers of one name share their pending entries and "
                                 "status shows only one")

    async def leave(self, redis: Redis) -> None:
        await redis.eval(_LEAVE, 1, self._keys.workers, self._seen.name, self._seen.instance)
