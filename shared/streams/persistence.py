"""Does Redis keep Watchfloor's state across its own restart?

Redis is the only shared state. Without persistence (neither AOF nor RDB
snapshots) a Redis restart silently loses what is waiting in it: the retry
schedule of deliveries to a failing receiver, the dedupe keys (articles come
in again as new), the pending entries and consumer groups of every stream
(work fetched but not acknowledged), the streams themselves with what was not
processed yet, API-managed watchlists and the alert history. Each worker
checks at start-up and says so, loudly, once.

How: ``CONFIG GET appendonly`` and ``CONFIG GET save``. Where CONFIG is not
allowed (renamed away, refused by an ACL: common on managed Redis), ``INFO
persistence`` still tells whether AOF is on; whether RDB snapshots are
configured it cannot tell, and the log then says that it is unknown.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import redis.asyncio as aioredis
from redis.exceptions import ResponseError
from watchfloor.shared.logging import get_logger
from watchfloor.shared.redis_client import REDIS_FAILURES

log = get_logger("watchfloor.worker")

LOST_WITHOUT_PERSISTENCE = (
    "scheduled delivery retries",
    "dedupe keys (articles already seen are ingested again)",
    "pending stream entries and consumer groups",
    "stream entries not processed yet",
    "watchlists managed through the API",
    "the alert history",
    "dead letters and failed deliveries (what `watchfloor replay` would send again)",
    "paused targets and the deliveries held for them",
    "console accounts, acknowledgements, mutes and judgements",
)
HOW_TO_PERSIST = (
    "turn AOF on: 'appendonly yes' in redis.conf (or redis-server --appendonly yes; "
    "at run time CONFIG SET appendonly yes, then CONFIG REWRITE), or at least RDB "
    "snapshots ('save 60 1000')"
)


@dataclass(frozen=True)
class Persistence:
    """What Redis says about its persistence; None: it would not say."""

    aof: bool | None
    rdb: bool | None
    source: str  # "config", "info" or "none"

    @property
    def off(self) -> bool:
        return self.aof is False and self.rdb is False

    @property
    def unknown(self) -> bool:
        return not self.aof and not self.rdb and not self.off


def _text(value: Any) -> str:
    if isinstance(value, bytes):
        return value.decode(errors="replace")
    return "" if value is None else str(value)


def _config_value(reply: dict[Any, Any], name: str) -> str:
    for key, value in reply.items():
        if _text(key) == name:
            return _text(value)
    return ""


async def check_persistence(redis: aioredis.Redis) -> Persistence:
    """AOF and RDB as Redis reports them (see the module's docstring)."""
    try:
        appendonly = _config_value(await redis.config_get("appendonly"), "appendonly")
        save = _config_value(await redis.config_get("save"), "save")
        return Persistence(aof=appendonly == "yes", rdb=bool(save.strip()), source="config")
    except ResponseError:  # CONFIG renamed away or refused: INFO still answers
        pass
    try:
        info = await redis.info("persistence")
    except ResponseError:
        return Persistence(aof=None, rdb=None, source="none")
    aof = _text(info.get("aof_enabled", info.get(b"aof_enabled", ""))) == "1"
    return Persistence(aof=aof, rdb=None, source="info")


async def warn_unless_persistent(redis: aioredis.Redis, *, redis_url: str) -> Persistence | None:
    """Check at start-up; a warning naming what is lost when persistence is
    off (or cannot be seen), nothing when it is on. Never stops the worker."""
    try:
        found = await check_persistence(redis)
    except REDIS_FAILURES as exc:
        log.warning("redis_persistence_not_checked", redis=redis_url, error=str(exc))
        return None
    if found.off:
        log.warning(
            "redis_persistence_off",
            redis=redis_url,
            detail="Redis has neither AOF nor RDB snapshots: a Redis restart loses "
                   + ", ".join(LOST_WITHOUT_PERSISTENCE),
            lost=list(LOST_WITHOUT_PERSISTENCE),
            fix=HOW_TO_PERSIST,
        )
    elif found.unknown:
        log.warning(
            "redis_persistence_unknown",
            redis=redis_url,
            detail="AOF is off and Redis does not allow CONFIG, so whether RDB snapshots "
                   "are on cannot be seen; without either, a Redis restart loses "
                   + ", ".join(LOST_WITHOUT_PERSISTENCE),
            lost=list(LOST_WITHOUT_PERSISTENCE),
            fix=HOW_TO_PERSIST,
        )
    return found
