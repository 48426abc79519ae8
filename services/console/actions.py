"""What officers do to alerts: acknowledge one, mute a story, snooze a watchlist.

Acknowledgements are a hash by alert id. Mutes and snoozes are written in the
shape the notifier reads (``notifier/silences.py``), so it stops raising
those alerts; lifting one deletes it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict, ValidationError
from watchfloor.services.notifier.silences import Silence, Silences, read_silences
from watchfloor.shared.keys import Keys

if TYPE_CHECKING:
    import redis.asyncio as aioredis

SNOOZE_CHOICES: dict[str, timedelta] = {
    "1h": timedelta(hours=1), "4h": timedelta(hours=4), "12h": timedelta(hours=12),
    "24h": timedelta(hours=24), "7d": timedelta(days=7),
}


class Ack(BaseModel):
    model_config = ConfigDict(frozen=True)

    by: str
    at: datetime


class Actions:
    def __init__(self, redis: aioredis.Redis, keys: Keys) -> None:
        self._redis = redis
        self._keys = keys

    async def acknowledge(self, alert_id: str, by: str, now: datetime) -> None:
        await self._redis.hset(self._keys.alert_acks, alert_id, Ack(by=by, at=now).model_dump_json())

    async def acks(self, alert_ids: Sequence[str]) -> dict[str, Ack]:
        if not alert_ids:
            return {}
        found = {}
        for alert_id, raw in zip(alert_ids, await self._redis.hmget(self._keys.alert_acks,
                                                                    list(alert_ids)), strict=True):
            if raw is not None:
                try:
                    found[alert_id] = Ack.model_validate_json(raw)
                except ValidationError:
                    continue
        return found

    async def mute_story(self, story_id: str, by: str, now: datetime) -> None:
        await self._redis.hset(self._keys.muted_stories, story_id,
                               Silence(by=by, at=now).model_dump_json())

    async def unmute_story(self, story_id: str) -> bool:
        return bool(await self._redis.hdel(self._keys.muted_stories, story_id))

    async def snooze_watchlist(self, watchlist_id: str, by: str, now: datetime,
                               duration: timedelta) -> Silence:
        silence = Silence(by=by, at=now, until=now + duration)
        await self._redis.hset(self._keys.snoozed_watchlists, watchlist_id,
                               silence.model_dump_json())
        return silence

    async def unsnooze_watchlist(self, watchlist_id: str) -> bool:
        return bool(await self._redis.hdel(self._keys.snoozed_watchlists, watchlist_id))

    async def silences(self, now: datetime) -> Silences:
        """The silences in force (expired snoozes left out)."""
        current = await read_silences(self._redis, self._keys)
        return Silences(
            {k: s for k, s in current.stories.items() if s.active(now)},
            {k: s for k, s in current.watchlists.items() if s.active(now)},
        )
