"""StoryThrottle against a real Redis."""

from __future__ import annotations

import asyncio

import pytest
import redis.asyncio as aioredis
from watchfloor.services.notifier.matching import alert_id
from watchfloor.services.notifier.story_throttle import (
    StoryThrottle,
    story_alerts_key,
    throttled_alerts,
)
from watchfloor.shared.keys import Keys
from watchfloor.shared.schemas import Alert

from tests.unit.notifier.factories import country, make_alert, tag

pytestmark = pytest.mark.integration


def alert(article_id: str, story_id: str | None, tags: list[str], watchlist: str = "wl-a") -> Alert:
    base = make_alert(article_id=article_id, tags=[tag(t) for t in tags])
    article = base.article.model_copy(update={"story_id": story_id})
    return base.model_copy(
        update={
            "id": alert_id(watchlist, article_id),
            "watchlist_id": watchlist,
            "article": article,
        }
    )


@pytest.fixture
def throttle(redis_client: aioredis.Redis, keys: Keys) -> StoryThrottle:
    return StoryThrottle(redis_client, keys, window_s=3600)


async def sent(throttle: StoryThrottle, alerts: list[Alert], **kwargs) -> list[Alert]:
    return (await throttle.filter(alerts, **kwargs)).sent


async def test_one_alert_per_story_unless_it_brings_a_new_tag(throttle: StoryThrottle) -> None:
    first = alert("art-1", None, ["missile_test"])
    assert await sent(throttle, [first]) == [first]

    repeat = alert("art-2", "art-1", ["missile_test"])
    news = alert("art-3", "art-1", ["missile_test", "troop_deployment"])
    repeat_of_news = alert("art-4", "art-1", ["troop_deployment"])
    assert await sent(throttle, [repeat, news, repeat_of_news]) == [news]


async def test_two_versions_decided_at_once_in_one_process_alert_once(
        throttle: StoryThrottle) -> None:
    # the readers of two partitions, each with one version of the story
    first = alert("art-1", None, ["missile_test"])
    repeat = alert("art-2", "art-1", ["missile_test"])
    one, two = await asyncio.gather(throttle.filter([first]), throttle.filter([repeat]))
    assert len(one.sent) + len(two.sent) == 1


async def test_other_watchlists_and_stories_are_independent(throttle: StoryThrottle) -> None:
    alerts = [
        alert("art-1", None, ["sanctions"]),
        alert("art-2", "art-1", ["sanctions"], watchlist="wl-b"),  # another watchlist
        alert("art-3", None, ["sanctions"]),  # another story
        alert("art-4", "art-1", ["sanctions"]),  # the only repeat
    ]
    assert await sent(throttle, alerts) == alerts[:3]


async def test_a_redelivered_batch_gets_the_same_answer(throttle: StoryThrottle) -> None:
    batch = [alert("art-1", None, ["missile_test"]), alert("art-2", "art-1", ["missile_test"])]
    kept = await sent(throttle, batch)
    assert kept == batch[:1]
    assert await sent(throttle, batch) == kept  # the first one is not dropped on retry


async def test_history_expires_with_the_window(
    throttle: StoryThrottle, redis_client: aioredis.Redis, keys: Keys
) -> None:
    await sent(throttle, [alert("art-1", None, ["missile_test"])])
    key = story_alerts_key(keys, "wl-a", "art-1")
    assert key.startswith(f"{keys.base}:")
    ttl = await redis_client.ttl(key)
    assert 0 < ttl <= 3600

    await sent(throttle, [alert("art-2", "art-1", ["missile_test"])])
    assert await redis_client.ttl(key) <= ttl  # later alerts do not extend it

    await redis_client.delete(key)  # what the window's end does
    later = alert("art-5", "art-1", ["missile_test"])
    assert await sent(throttle, [later]) == [later]


async def test_empty_batch(throttle: StoryThrottle) -> None:
    assert await sent(throttle, []) == []


async def test_a_history_left_without_expiry_gets_one(
    throttle: StoryThrottle, redis_client: aioredis.Redis, keys: Keys
) -> None:
    # As if the key expired between the throttle's read and its write: the
    # write re-created it without a TTL. The next write must give it one.
    key = story_alerts_key(keys, "wl-a", "art-1")
    await redis_client.hset(key, "al_stale", "sent")
    assert await redis_client.ttl(key) == -1

    await sent(throttle, [alert("art-2", "art-1", ["missile_test"])])

    assert 0 < await redis_client.ttl(key) <= 3600


async def test_held_back_alerts_are_recorded_once_and_read_back_by_story(
    throttle: StoryThrottle, redis_client: aioredis.Redis, keys: Keys
) -> None:
    first = alert("art-1", None, ["missile_test"])
    repeat = alert("art-2", "art-1", ["missile_test"])
    other_story = alert("art-8", None, ["sanctions"])
    other_repeat = alert("art-9", "art-8", ["sanctions"])
    outcome = await throttle.filter([first, repeat, other_story, other_repeat])
    assert outcome.sent == [first, other_story]
    assert [h.alert_id for h in outcome.held] == [repeat.id, other_repeat.id]
    again = await throttle.filter([repeat])  # the batch redelivered
    assert [h.alert_id for h in again.held] == [repeat.id]

    (record,) = await throttled_alerts(redis_client, keys, story_id="art-1")
    assert (record.alert_id, record.watchlist_id, record.article_id) == (repeat.id, "wl-a", "art-2")
    assert record.repeat_of == [first.id] and record.reason
    everything = await throttled_alerts(redis_client, keys)
    assert [r.alert_id for r in everything] == [other_repeat.id, repeat.id]  # newest first
    assert await throttled_alerts(redis_client, keys, watchlist_id="wl-b") == []
    assert len(await throttled_alerts(redis_client, keys, limit=1)) == 1


async def test_a_watchlist_that_wants_every_version_is_never_held_back(
    throttle: StoryThrottle, redis_client: aioredis.Redis, keys: Keys
) -> None:
    versions = [alert("art-1", None, ["missile_test"]), alert("art-2", "art-1", ["missile_test"])]
    assert await sent(throttle, versions, every_version={"wl-a"}) == versions
    assert await throttled_alerts(redis_client, keys) == []


async def test_the_record_stream_is_bounded(redis_client: aioredis.Redis, keys: Keys) -> None:
    throttle = StoryThrottle(redis_client, keys, window_s=3600, max_records=5)
    await throttle.filter([alert("art-0", None, ["missile_test"])])
    for batch in range(3):
        await throttle.filter(
            [alert(f"art-{batch}-{i}", "art-0", ["missile_test"]) for i in range(100)])
    # MAXLEN ~ trims whole nodes: bounded, if not to the entry.
    assert await redis_client.xlen(keys.throttled_alerts) < 300


async def test_alert_on_event_holds_back_another_stories_report_of_the_event(
    redis_client: aioredis.Redis, keys: Keys
) -> None:
    throttle = StoryThrottle(redis_client, keys, window_s=3600, event_window_s=600)
    # Two outlets' own wordings: two stories, one event (the same tag about KP).
    first = alert("art-1", None, ["missile_test"], watchlist="wl-event")
    second = alert("art-2", None, ["missile_test"], watchlist="wl-event")
    same_on_story = [alert("art-1", None, ["missile_test"]), alert("art-2", None, ["missile_test"])]

    outcome = await throttle.filter([first, second, *same_on_story], by_event={"wl-event"})
    assert outcome.sent == [first, *same_on_story]
    (held,) = outcome.held
    assert (held.alert_id, held.repeat_of, held.event_group) == (
        second.id, [first.id], "missile_test:kp")
    assert "another report of an event" in held.reason

    again = await throttle.filter([first, second], by_event={"wl-event"})  # redelivered
    assert (again.sent, [h.alert_id for h in again.held]) == ([first], [second.id])
    (record,) = await throttled_alerts(redis_client, keys, watchlist_id="wl-event")
    assert record.alert_id == second.id  # recorded once
    # found from the alert it repeats (the console shows it on that story)
    assert [r.alert_id for r in await throttled_alerts(
        redis_client, keys, story_id="art-1", repeating={first.id})] == [second.id]
    assert await throttled_alerts(redis_client, keys, story_id="art-1") == []

    group = keys.event_alerts("wl-event", "missile_test:kp")
    assert 0 < await redis_client.ttl(group) <= 600  # the event window, not the story's
    assert 600 < await redis_client.ttl(story_alerts_key(keys, "wl-event", "art-1")) <= 3600
    # A report that adds a tag is news; after the window the event alerts again.
    deployed = alert("art-3", None, ["missile_test", "troop_deployment"], watchlist="wl-event")
    assert await sent(throttle, [deployed], by_event={"wl-event"}) == [deployed]
    await redis_client.delete(group, keys.event_alerts("wl-event", "troop_deployment:kp"))
    later = alert("art-4", None, ["missile_test"], watchlist="wl-event")
    assert await sent(throttle, [later], by_event={"wl-event"}) == [later]


async def test_alert_on_event_judges_each_event_group_on_its_own_tag(
    redis_client: aioredis.Redis, keys: Keys
) -> None:
    throttle = StoryThrottle(redis_client, keys, window_s=3600, event_window_s=3600)
    kp = country("KP", "North Korea").model_copy(update={"mentions": ["North Korea"]})
    us = country("US", "United States").model_copy(update={"mentions": ["United States"]})

    def report(article_id: str, story_id: str | None, *tags) -> Alert:
        base = alert(article_id, story_id, ["missile_test"], watchlist="wl-event")
        title = "Missile fired as drills begin"
        return base.model_copy(update={"tags": list(tags), "actors": [kp, us],
                                       "article": base.article.model_copy(update={"title": title})})

    launch = tag("missile_test", evidence="North Korea fired a missile.")
    kp_drill = tag("military_exercise", evidence="North Korea held drills.")
    us_drill = tag("military_exercise", evidence="The United States began drills.")
    sanctions = tag("sanctions", evidence="North Korea was sanctioned.")
    first = report("a1", None, launch, kp_drill)
    # another story: the launch again, but drills by another party (a group never alerted)
    other_drills = report("a2", None, launch, us_drill)
    assert await sent(throttle, [first, other_drills], by_event={"wl-event"}) == [
        first, other_drills]

    # Each event already alerted: held, and the record says it was the events,
    # though the version brings its own story a tag (sanctions) it lacked.
    sanctioned = report("a3", None, sanctions)
    both = report("a4", "a1", launch, sanctions)
    outcome = await throttle.filter([sanctioned, both], by_event={"wl-event"})
    assert outcome.sent == [sanctioned]
    (held,) = outcome.held
    assert held.event_group == "missile_test:kp sanctions:kp"
    assert "another report of an event" in held.reason
    assert held.repeat_of == sorted([first.id, other_drills.id, sanctioned.id])
