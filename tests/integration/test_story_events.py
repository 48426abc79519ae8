"""Stories that never swallow an event (issue 11), through the whole pipeline
on a real Redis and a real receiver: ingest -> classify -> notify.

- Two articles with the same wire headline about a missile launch, one "on
  Monday" and one "on Thursday" (other URLs, published two days apart), are
  two events: two alerts.
- Another outlet's re-publication of Monday's story is one story: one alert,
  and the version held back is recorded for the story's thread and counted.
- A watchlist with ``alert_on: every_version`` gets every version.

All article text is invented for this test.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import pytest
from watchfloor.services.classifier.app import classifier_parts
from watchfloor.services.ingest.app import ingest_parts
from watchfloor.services.notifier.app import notifier_parts
from watchfloor.services.notifier.story_throttle import throttled_alerts
from watchfloor.shared.streams.worker import create_worker_app

from tests.integration.helpers import running, wait_until

pytestmark = pytest.mark.integration

STORY_SECRET = "whsec_" + "c3RvcnktZXZlbnRzLXNlY3JldC1mb3ItdGVzdHM="
EVERY_SECRET = "whsec_" + "ZXZlcnktdmVyc2lvbi1zZWNyZXQtZm9yLXRlc3Q="

WATCHLISTS = f"""
watchlists:
  - id: launches
    name: Missile launches, one alert per story
    match: {{tags_any: [missile_test], min_confidence: 0.5}}
    targets:
      - {{type: webhook, url: "${{RECEIVER}}/launches", secret: "{STORY_SECRET}"}}
  - id: launches-every-version
    name: Missile launches, every version
    alert_on: every_version
    match: {{tags_any: [missile_test], min_confidence: 0.5}}
    targets:
      - {{type: webhook, url: "${{RECEIVER}}/every", secret: "{EVERY_SECRET}"}}
"""

WIRE_HEADLINE = "North Korea fires ballistic missile into the sea"
WIRE_TEXT = (
    "North Korea launched a short-range missile that splashed down off its eastern shore "
    "on {day}, South Korea's military said, the latest in a series of weapons tests "
    "that have raised tension in the region."
)
MONDAY_LAUNCH = {
    "title": WIRE_HEADLINE,
    "text": WIRE_TEXT.format(day="Monday"),
    "url": "https://wire.example.org/asia/launch-1",
    "source": "Example Wire",
    "published_at": "2031-03-04T03:00:00Z",
}
THURSDAY_LAUNCH = {
    "title": WIRE_HEADLINE,
    "text": WIRE_TEXT.format(day="Thursday"),
    "url": "https://wire.example.org/asia/launch-2",
    "source": "Example Wire",
    "published_at": "2031-03-06T03:00:00Z",
}
MONDAY_REPUBLISHED = {  # another outlet: new headline, a dateline, one sentence added
    "title": "North Korea fires missile into the sea, Seoul says",
    "text": "SEOUL - " + WIRE_TEXT.format(day="Monday") + " Japan said no ship was hit.",
    "url": "https://outlet.example.net/world/dprk-missile",
    "source": "Example Outlet",
    "published_at": "2031-03-04T07:30:00Z",
}


@pytest.fixture
def pipeline_settings(settings, receiver, tmp_path: Path):
    watchlists = tmp_path / "watchlists.yaml"
    watchlists.write_text(WATCHLISTS)
    receiver.secrets = {"/launches": STORY_SECRET, "/every": EVERY_SECRET}
    return settings.model_copy(update={"watchlists_file": watchlists})


async def test_a_second_launch_alerts_and_a_republication_is_held_back_visibly(
    pipeline_settings, receiver, redis_client, keys
):
    app = create_worker_app(pipeline_settings, [ingest_parts, classifier_parts, notifier_parts],
                            env={"RECEIVER": receiver.url("")})
    async with running(app):
        async with httpx.AsyncClient(base_url=app.runtime.info["ingest_url"]) as http:
            ids = {}
            for name, article in (("monday", MONDAY_LAUNCH), ("thursday", THURSDAY_LAUNCH),
                                  ("republished", MONDAY_REPUBLISHED)):
                reply = await http.post("/v1/articles", json=article)
                assert reply.status_code == 202 and reply.json()["new"] == 1, reply.text
                ids[name] = reply.json()["results"][0]["id"]

        # 2 launches on "launches"; 2 launches + the re-publication on "every".
        assert await asyncio.to_thread(receiver.wait_for, 5, 20), [
            r.path for r in receiver.requests]

        async def held_back() -> bool:
            return int(await redis_client.hget(keys.metrics, "alerts_throttled") or 0) == 1
        await wait_until(held_back, what="the re-publication held back on 'launches'")
        await asyncio.sleep(0.5)  # room for a wrong extra delivery to show up

    def delivered(path: str) -> list[tuple[str, str | None]]:
        return sorted((r.json()["data"]["article"]["id"], r.json()["data"]["article"]["story_id"])
                      for r in receiver.delivered(path))

    monday, thursday, republished = ids["monday"], ids["thursday"], ids["republished"]
    # The Thursday launch is a story of its own: it alerts.
    assert delivered("/launches") == sorted([(monday, monday), (thursday, thursday)])
    assert delivered("/every") == sorted(
        [(monday, monday), (thursday, thursday), (republished, monday)])
    assert all(r.verified for r in receiver.delivered())

    # The re-publication held back is in Monday's story, with why.
    (held,) = await throttled_alerts(redis_client, keys, story_id=monday)
    assert (held.watchlist_id, held.article_id) == ("launches", republished)
    assert held.title == MONDAY_REPUBLISHED["title"]
    assert held.url == MONDAY_REPUBLISHED["url"]
    assert held.reason and len(held.repeat_of) == 1
    assert await throttled_alerts(redis_client, keys, story_id=thursday) == []
