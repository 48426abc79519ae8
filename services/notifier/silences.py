"""Silences set by officers in the console: a muted story, a snoozed watchlist.

The match step (``alerting.py``) drops the alerts they cover before the
throttle: no history entry, no delivery. ``silenced`` is the pure check;
``drop_silenced`` reads both hashes in one round trip per batch that found
alerts. The console writes them (``services/console``) in the shape of
``Silence``; an entry that does not parse is ignored (never silences).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict
from watchfloor.shared.keys import Keys
from watchfloor.shared.logging import get_logger
from watchfloor.shared.redis_replies import parse_json_hash
from watchfloor.shared.schemas import Alert, Article

if TYPE_CHECKING:
    import redis.asyncio as aioredis

log = get_logger("watchfloor.notifier")


class Silence(BaseModel):
    """Who silenced, when, and until when (None: until lifted)."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    by: str
    at: datetime
    until: datetime | None = None

    def active(self, now: datetime) -> bool:
        return self.until is None or now < self.until


@dataclass(frozen=True)
class Silences:
    stories: Mapping[str, Silence] = field(default_factory=dict)
    watchlists: Mapping[str, Silence] = field(default_factory=dict)


def story_of(article: Article) -> str:
    """The id of the article's story: its first version's id."""
    return article.story_id or article.id


def silenced(alert: Alert, silences: Silences, now: datetime) -> str | None:
    """Why the alert must not be raised, or None."""
    story = silences.stories.get(story_of(alert.article))
    if story is not None and story.active(now):
        return "story muted"
    watchlist = silences.watchlists.get(alert.watchlist_id)
    if watchlist is not None and watchlist.active(now):
        return "watchlist snoozed"
    return None


def parse_silences(raw: Mapping[bytes | str, bytes | str]) -> dict[str, Silence]:
    return parse_json_hash(raw, Silence)  # a broken entry silences nothing


async def read_silences(redis: aioredis.Redis, keys: Keys) -> Silences:
    async with redis.pipeline(transaction=False) as pipe:
        pipe.hgetall(keys.muted_stories)
        pipe.hgetall(keys.snoozed_watchlists)
        stories, watchlists = await pipe.execute()
    return Silences(parse_silences(stories), parse_silences(watchlists))


async def drop_silenced(
    redis: aioredis.Redis, keys: Keys, alerts: Sequence[Alert], now: float
) -> list[Alert]:
    """The alerts no silence covers; the others are logged and counted."""
    if not alerts:
        return list(alerts)
    current = await read_silences(redis, keys)
    if not current.stories and not current.watchlists:
        return list(alerts)
    moment = datetime.fromtimestamp(now, UTC)
    kept = []
    for alert in alerts:
        reason = silenced(alert, current, moment)
        if reason is None:
            kept.append(alert)
        else:
            log.info("alert_silenced", watchlist_id=alert.watchlist_id, alert_id=alert.id,
                     article_id=alert.article.id, reason=reason)
    if len(kept) < len(alerts):
        await redis.hincrby(keys.metrics, "alerts_silenced", len(alerts) - len(kept))
    return kept
