"""Try before saving: a watchlist matched against the stored classified articles."""

from __future__ import annotations

from datetime import timedelta

from fakeredis import FakeAsyncRedis
from watchfloor.services.console.history import classified_stream, time_id
from watchfloor.services.console.trial import ThrottleWindows, try_watchlist
from watchfloor.services.watchlists.model import Watchlist
from watchfloor.shared.keys import Keys
from watchfloor.shared.schemas import Figure
from watchfloor.shared.streams.codec import encode

from tests.unit.console.factories import IR, T0, article, classified, tag

KEYS = Keys("t")
MISSILES = Watchlist(id="m", name="Missiles", match={"tags_any": ["missile_test"]})


async def stored(redis: FakeAsyncRedis, *events) -> None:
    for event in events:
        await redis.xadd(classified_stream(KEYS), encode(event), id=time_id(event.classified_at))


async def test_counts_matches_and_stories_and_says_how_far_back_data_goes() -> None:
    redis = FakeAsyncRedis()
    await stored(
        redis,
        classified(article("u-1"), at=T0 - timedelta(days=3)),
        classified(article("u-2", story_id="u-1"), at=T0 - timedelta(days=2, hours=23)),
        classified(article("u-3", title="EU sanctions Iran"), tags=[tag("sanctions")],
                   actors=[IR], at=T0 - timedelta(days=1)),
        classified(article("u-4"), at=T0 - timedelta(hours=1)),
    )
    result = await try_watchlist(redis, KEYS, MISSILES, days=7, now=T0)
    assert (result.matched, result.stories, result.scanned) == (3, 2, 4)
    assert [a.article.id for a in result.shown] == ["u-4", "u-2", "u-1"]  # newest first
    assert result.retention.length == 4
    assert result.retention.oldest == T0 - timedelta(days=3)
    assert not result.capped

    recent = await try_watchlist(redis, KEYS, MISSILES, days=2, now=T0)
    assert (recent.matched, recent.scanned) == (1, 2)


async def test_a_scan_stopped_by_its_limit_says_so() -> None:
    redis = FakeAsyncRedis()
    await stored(redis, *(classified(article(f"u-{i}"), at=T0 - timedelta(minutes=i))
                          for i in range(5, 0, -1)))
    result = await try_watchlist(redis, KEYS, MISSILES, days=1, now=T0, scan_limit=3)
    assert result.capped and result.scanned == 3
    assert result.reached == T0 - timedelta(minutes=3)


async def test_nothing_stored_is_an_empty_answer_that_says_so() -> None:
    result = await try_watchlist(FakeAsyncRedis(), KEYS, MISSILES, days=7, now=T0)
    assert result.matched == 0 and result.retention.oldest is None and result.retention.length == 0


async def test_the_expected_alerts_follow_the_notifiers_rules_and_windows() -> None:
    redis = FakeAsyncRedis()
    await stored(
        redis,
        classified(article("u-1"), at=T0 - timedelta(hours=6)),
        # the same story, first to give the number of missiles: news on either choice
        classified(article("u-2", story_id="u-1"),
                   figures=[Figure(kind="missiles", value=2, text="two missiles")],
                   at=T0 - timedelta(hours=5)),
        # another outlet's wording of the launch: its own story, the same event
        classified(article("u-3", title="Pyongyang launches a missile"), at=T0 - timedelta(hours=1)),
    )
    by_event = MISSILES.model_copy(update={"alert_on": "event"})
    per_story = await try_watchlist(redis, KEYS, MISSILES, days=1, now=T0)
    per_event = await try_watchlist(redis, KEYS, by_event, days=1, now=T0)
    assert (per_story.matched, per_story.stories) == (3, 2)
    assert (per_story.expected, per_event.expected) == (3, 2)

    # The notifier's windows: the event window over before the third report...
    short = await try_watchlist(redis, KEYS, by_event, days=1, now=T0,
                                windows=ThrottleWindows(event_s=3600))
    assert short.expected == 3
    # ...or no throttle at all (STORY_ALERT_WINDOW_S=0): every version.
    unthrottled = await try_watchlist(redis, KEYS, by_event, days=1, now=T0,
                                      windows=ThrottleWindows(story_s=0))
    assert (unthrottled.expected, unthrottled.throttled) == (3, False)


async def test_an_article_stored_twice_is_expected_to_alert_once() -> None:
    # a dead letter replayed after a crash writes its classified event again
    redis = FakeAsyncRedis()
    event = classified(article("u-1"), at=T0 - timedelta(hours=2))
    await stored(redis, event)
    await redis.xadd(classified_stream(KEYS), encode(event))
    for watchlist, windows in ((MISSILES, None),
                               (MISSILES.model_copy(update={"alert_on": "every_version"}), None),
                               (MISSILES, ThrottleWindows(story_s=0))):
        result = await try_watchlist(redis, KEYS, watchlist, days=1, now=T0, windows=windows)
        assert (result.matched, result.stories, result.expected) == (2, 1, 1)
