"""StoryIndex against a real Redis. Example text is invented for these tests."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest
import redis.asyncio as aioredis
from watchfloor.services.ingest.stories import (
    BAND_MEMBERS,
    StoryIndex,
    StoryParams,
)
from watchfloor.shared.keys import Keys
from watchfloor.shared.schemas import Article

pytestmark = pytest.mark.integration

LEAD = (
    "Inspectors from the river authority closed the old Varna bridge on Friday after "
    "divers found cracks in two of its stone piers, officials said. Traffic was sent "
    "to the ferry crossing, and engineers will decide next week whether the bridge can "
    "reopen to cars. The authority said no one was hurt and that lorries had been kept "
    "off the bridge since the spring floods."
)
FIRST = Article(
    id="u-first", title="River authority closes Varna bridge after cracks found", text=LEAD
)
SECOND = Article(
    id="u-second",
    title="Varna bridge closed as divers find cracks in piers",
    text="VARNA - " + LEAD + " Residents were told to expect delays.",
)
THIRD = Article(id="u-third", title=SECOND.title, text=SECOND.text + " Buses will run hourly.")
OTHER = Article(
    id="u-other",
    title="Orchard growers report an early cherry harvest",
    text="Growers in the hill villages began picking cherries two weeks early this year.",
)
EMPTY = Article(id="u-empty", title="...", text="")


@pytest.fixture
def index(redis_client: aioredis.Redis, keys: Keys) -> StoryIndex:
    return StoryIndex(redis_client, keys, StoryParams(window_s=3600))


async def test_versions_of_a_story_point_to_its_first_article(index: StoryIndex) -> None:
    first, other = await index.assign([FIRST, OTHER])
    assert first == FIRST and first.story_id is None  # its own story
    assert other.story_id is None

    [second] = await index.assign([SECOND])
    assert second.story_id == FIRST.id
    assert second.model_copy(update={"story_id": None}) == SECOND  # nothing else changed

    # A version close to the second joins the story of the first, not a new one.
    [third] = await index.assign([THIRD])
    assert third.story_id == FIRST.id


async def test_versions_within_one_batch(index: StoryIndex) -> None:
    assigned = await index.assign([FIRST, OTHER, SECOND, EMPTY])
    assert [a.story_id for a in assigned] == [None, None, FIRST.id, None]


async def test_assigning_again_gives_the_same_answer(index: StoryIndex) -> None:
    first_time = await index.assign([FIRST, SECOND])
    assert await index.assign([SECOND, FIRST]) == first_time[::-1]


async def test_keys_live_under_the_prefix_and_expire(
    index: StoryIndex, redis_client: aioredis.Redis, keys: Keys
) -> None:
    await index.assign([FIRST, EMPTY])
    found = {k.decode() async for k in redis_client.scan_iter(match=f"{keys.base}:*")}
    assert all(k.startswith(f"{keys.base}:story:") for k in found)
    # FIRST's record and a bucket hash per band; EMPTY is not indexed
    assert len(found) == 1 + 16
    assert 0 < await redis_client.ttl(keys.story_article(FIRST.id)) <= 3600
    for key in found:  # a bucket hash lives to the end of the next window
        assert 0 < await redis_client.ttl(key) <= 2 * 3600


async def test_a_bucket_is_found_for_a_window_and_then_forgotten(
    redis_client: aioredis.Redis, keys: Keys
) -> None:
    now = [(time.time() // 3600 + 1) * 3600 - 1]  # the last second of this window

    def index() -> StoryIndex:
        return StoryIndex(redis_client, keys, StoryParams(window_s=3600), clock=lambda: now[0])

    await index().assign([FIRST])
    now[0] += 2  # the next window: the previous one's buckets are still read
    [second] = await index().assign([SECOND])
    assert second.story_id == FIRST.id
    now[0] += 2 * 3600  # two windows after the last version: its buckets are not read
    [third] = await index().assign([THIRD])
    assert third.story_id is None


async def test_an_expired_story_is_forgotten(
    index: StoryIndex, redis_client: aioredis.Redis, keys: Keys
) -> None:
    await index.assign([FIRST])
    # What the window's end does: the first article's record is gone.
    await redis_client.delete(keys.story_article(FIRST.id))
    [second] = await index.assign([SECOND])
    assert second.story_id is None


async def test_empty_batch(index: StoryIndex) -> None:
    assert await index.assign([]) == []


LAUNCH = (
    "Northland launched a short-range missile that splashed down off its eastern shore "
    "on {day}, the military of its southern neighbour said, in the latest of a series "
    "of weapons tests that have raised tension in the region."
)
MONDAY = datetime(2031, 3, 3, 1, 30, tzinfo=UTC)


def launch(article_id: str, day: str, published: datetime, title: str = "",
           more: str = "") -> Article:
    return Article(id=article_id, title=title or "Northland fires ballistic missile into the sea",
                   text=LAUNCH.format(day=day) + more, published_at=published)


async def test_another_launch_in_the_same_words_is_another_story(index: StoryIndex) -> None:
    monday = launch("u-mon", "Monday", MONDAY)
    thursday = launch("u-thu", "Thursday", MONDAY + timedelta(days=3))
    assigned = await index.assign([monday, thursday])
    assert [a.story_id for a in assigned] == [None, None]  # two stories

    # Each launch's re-publications still find their own story, though the
    # first launch claimed most buckets first: this version of Thursday's
    # shares with it only buckets that Monday's claimed too (so a bucket
    # keeps more than its first claimant).
    monday_again = launch("u-mon-2", "Monday", MONDAY + timedelta(hours=2),
                          title="Northland fires ballistic missile into sea, neighbour says")
    thursday_again = launch("u-thu-2", "Thursday", MONDAY + timedelta(days=3, hours=2),
                            title="Northland launches ballistic missile into the sea",
                            more=" The launch was condemned by neighbours.")
    assigned = await index.assign([monday_again, thursday_again])
    assert [a.story_id for a in assigned] == ["u-mon", "u-thu"]


async def test_a_second_launch_that_day_told_in_the_same_words_is_another_story(
    index: StoryIndex,
) -> None:
    # The morning's flash and, hours later, the same template with "another":
    # nothing else tells them apart (same day, place, figures), and merged the
    # evening's launch would be held back as a version of the morning's.
    # (Within the hour, "again" is the wire's update of its flash: test_story_facts.)
    morning = launch("u-am", "Monday", MONDAY)
    evening = launch("u-pm", "Monday", MONDAY + timedelta(hours=9),
                     title="Northland fires another ballistic missile into the sea")
    [first] = await index.assign([morning])
    [second] = await index.assign([evening])
    assert (first.story_id, second.story_id) == (None, None)
    # each one's re-publications still find their own story
    evening_again = launch("u-pm-2", "Monday", MONDAY + timedelta(hours=10),
                           title="Northland fires another ballistic missile, neighbour says")
    morning_again = launch("u-am-2", "Monday", MONDAY + timedelta(hours=1),
                           title="Northland fires ballistic missile into sea, neighbour says")
    assigned = await index.assign([evening_again, morning_again])
    assert [a.story_id for a in assigned] == ["u-pm", "u-am"]


async def test_a_bucket_keeps_its_earliest_claimants_up_to_a_bound(
    index: StoryIndex, redis_client: aioredis.Redis, keys: Keys
) -> None:
    copies = [FIRST.model_copy(update={"id": f"u-copy-{i}"}) for i in range(BAND_MEMBERS + 2)]
    await index.assign(copies[:2])
    await index.assign(copies[2:])
    bucket_keys = {k async for k in redis_client.scan_iter(match=f"{keys.base}:story:buckets:*")}
    assert len(bucket_keys) == 16
    for key in bucket_keys:
        (members,) = (await redis_client.hgetall(key)).values()  # one bucket per band
        assert members.decode().split() == [c.id for c in copies[:BAND_MEMBERS]]
