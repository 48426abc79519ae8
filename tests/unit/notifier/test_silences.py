"""Mutes and snoozes set in the console: the match step raises no alert for them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fakeredis import FakeAsyncRedis
from watchfloor.services.notifier.silences import (
    Silence,
    Silences,
    drop_silenced,
    read_silences,
    silenced,
)
from watchfloor.shared.keys import Keys

from tests.unit.console.factories import T0, alert, article

KEYS = Keys("t")
FIRST = alert("al_1", art=article("u-1"))
LATER_VERSION = alert("al_2", art=article("u-2", story_id="u-1"))
OTHER = alert("al_3", watchlist="iran", art=article("u-3"))


def test_a_muted_story_silences_every_version_and_a_snooze_ends() -> None:
    silences = Silences(stories={"u-1": Silence(by="ada", at=T0)},
                        watchlists={"iran": Silence(by="ada", at=T0, until=T0 + timedelta(hours=1))})
    assert silenced(FIRST, silences, T0) == "story muted"
    assert silenced(LATER_VERSION, silences, T0) == "story muted"
    assert silenced(OTHER, silences, T0 + timedelta(minutes=59)) == "watchlist snoozed"
    assert silenced(OTHER, silences, T0 + timedelta(hours=1)) is None
    assert silenced(OTHER, Silences(), T0) is None


async def test_drop_silenced_reads_redis_counts_and_ignores_broken_entries() -> None:
    redis = FakeAsyncRedis()
    await redis.hset(KEYS.muted_stories, "u-1", Silence(by="ada", at=T0).model_dump_json())
    await redis.hset(KEYS.snoozed_watchlists, "iran", "not json")
    now = datetime(2026, 11, 30, 7, tzinfo=UTC).timestamp()
    kept = await drop_silenced(redis, KEYS, [FIRST, LATER_VERSION, OTHER], now)
    assert [a.id for a in kept] == ["al_3"]
    assert int(await redis.hget(KEYS.metrics, "alerts_silenced")) == 2
    assert set((await read_silences(redis, KEYS)).watchlists) == set()
