"""Which workers are running, for ``watchfloor status``.

A consumer group cannot say: Redis 7.0 lists a consumer only once it has
read an entry (a worker waiting on an empty stream is in no group), and the
maintenance pass removes consumers idle for a minute that hold nothing. So
each worker process records itself in one hash (``keys.workers``) when it
starts and at every maintenance pass (``maintenance_interval_s``), and removes
itself when it stops. A record not refreshed for three of its intervals is a
worker that stopped without a word or cannot reach Redis; one not refreshed
for a day is forgotten.
"""

from __future__ import annotations

import os
import socket
from datetime import UTC, datetime, timedelta

from pydantic import BaseModel, ConfigDict, ValidationError
from redis.asyncio import Redis
from watchfloor.shared.keys import Keys
from watchfloor.shared.redis_replies import as_str
from watchfloor.shared.version import installed_version

FORGET_AFTER = timedelta(days=1)
MISSED_BEATS = 3  # refreshes a worker may miss before it is shown as silent


class WorkerSeen(BaseModel):
    """One worker process, as it last said."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    name: str  # its consumer name (WATCHFLOOR_CONSUMER_NAME, else host-pid)
    parts: list[str]  # ingest, classifier, notifier
    host: str
    pid: int
    version: str
    started_at: datetime
    seen_at: datetime
    interval_s: float  # how often it refreshes this record

    def silent(self, now: datetime) -> bool:
        return now - self.seen_at > timedelta(seconds=MISSED_BEATS * self.interval_s + 5)


async def workers_seen(redis: Redis, keys: Keys, *, now: datetime) -> list[WorkerSeen]:
    """The workers recorded, by name; records a day old (or unreadable) are removed."""
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
        await redis.hdel(keys.workers, *stale)
    return sorted(found, key=lambda w: w.name)


class WorkerPresence:
    """Keeps one worker process's record while it runs: ``beat`` at start and
    at each maintenance pass, ``leave`` when it stops."""

    def __init__(self, keys: Keys, name: str, parts: list[str], interval_s: float) -> None:
        now = datetime.now(UTC)
        self._keys = keys
        self._seen = WorkerSeen(name=name, parts=parts, host=socket.gethostname(),
                                pid=os.getpid(), version=installed_version(),
                                started_at=now, seen_at=now, interval_s=interval_s)

    async def beat(self, redis: Redis) -> None:
        seen = self._seen.model_copy(update={"seen_at": datetime.now(UTC)})
        await redis.hset(self._keys.workers, seen.name, seen.model_dump_json())

    async def leave(self, redis: Redis) -> None:
        await redis.hdel(self._keys.workers, self._seen.name)
