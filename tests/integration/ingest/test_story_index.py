"""StoryIndex against a real Redis. Example text is invented for these tests."""

from __future__ import annotations

import pytest
import redis.asyncio as aioredis
from watchfloor.services.ingest.stories import StoryIndex, StoryParams, story_article_key
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
    found = [k.decode() async for k in redis_client.scan_iter(match=f"{keys.prefix}:*")]
    assert all(k.startswith(f"{keys.prefix}:story:") for k in found)
    assert len(found) == 1 + 16  # FIRST's record and its buckets; EMPTY is not indexed
    for key in found:
        assert 0 < await redis_client.ttl(key) <= 3600


async def test_an_expired_story_is_forgotten(
    index: StoryIndex, redis_client: aioredis.Redis, keys: Keys
) -> None:
    await index.assign([FIRST])
    # What the window's end does: the first article's record is gone.
    await redis_client.delete(story_article_key(keys, FIRST.id))
    [second] = await index.assign([SECOND])
    assert second.story_id is None


async def test_empty_batch(index: StoryIndex) -> None:
    assert await index.assign([]) == []
