"""``alert_on: event`` through the whole pipeline on a real Redis and a real
receiver: two outlets' own wordings of one launch (two stories) alert a
story watchlist twice and an event watchlist once; another country's launch
alerts both; the report held back is recorded with its event group.

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

STORY_SECRET = "whsec_" + "ZXZlbnQtYWxlcnRzLXN0b3J5LXNlY3JldC10ZXN0"
EVENT_SECRET = "whsec_" + "ZXZlbnQtYWxlcnRzLWV2ZW50LXNlY3JldC10ZXN0"

WATCHLISTS = f"""
watchlists:
  - id: per-story
    name: Missile launches, one alert per story
    match: {{tags_any: [missile_test], min_confidence: 0.5}}
    targets:
      - {{type: webhook, url: "${{RECEIVER}}/story", secret: "{STORY_SECRET}"}}
  - id: per-event
    name: Missile launches, one alert per event
    alert_on: event
    match: {{tags_any: [missile_test], min_confidence: 0.5}}
    targets:
      - {{type: webhook, url: "${{RECEIVER}}/event", secret: "{EVENT_SECRET}"}}
"""

LAUNCH = {
    "title": "North Korea fires ballistic missile into the sea",
    "text": "North Korea launched a short-range ballistic missile off its east coast on "
            "Monday, South Korea's military said.",
    "url": "https://wire.example.org/asia/launch",
    "source": "Example Wire",
    "published_at": "2031-03-04T03:00:00Z",
}
SAME_LAUNCH_OTHER_WORDS = {
    "title": "Pyongyang test-fires missile as tensions rise",
    "text": "The North Korean military test-fired a missile that flew about 600 km before "
            "landing in waters off the peninsula, officials in Seoul reported.",
    "url": "https://outlet.example.net/world/pyongyang-missile",
    "source": "Example Outlet",
    "published_at": "2031-03-04T04:10:00Z",
}
OTHER_COUNTRY = {
    "title": "Iran test-fires new ballistic missile",
    "text": "Iran's Revolutionary Guards test-fired a new ballistic missile from a desert "
            "range, state television reported.",
    "url": "https://outlet.example.net/world/iran-missile",
    "source": "Example Outlet",
    "published_at": "2031-03-04T05:00:00Z",
}


@pytest.fixture
def pipeline_settings(settings, receiver, tmp_path: Path):
    watchlists = tmp_path / "watchlists.yaml"
    watchlists.write_text(WATCHLISTS)
    receiver.secrets = {"/story": STORY_SECRET, "/event": EVENT_SECRET}
    return settings.model_copy(update={"watchlists_file": watchlists})


async def test_one_alert_per_event_across_outlets(pipeline_settings, receiver, redis_client, keys):
    app = create_worker_app(pipeline_settings, [ingest_parts, classifier_parts, notifier_parts],
                            env={"RECEIVER": receiver.url("")})
    async with running(app):
        async with httpx.AsyncClient(base_url=app.runtime.info["ingest_url"]) as http:
            ids: list[str] = []

            async def all_alerted() -> bool:
                # each article raises one alert per watchlist (sent or held back)
                raised = [int(await redis_client.hget(keys.metrics, name) or 0)
                          for name in ("alerts", "alerts_throttled")]
                return sum(raised) >= 2 * len(ids)

            for article in (LAUNCH, SAME_LAUNCH_OTHER_WORDS, OTHER_COUNTRY):
                reply = await http.post("/v1/articles", json=article)
                assert reply.status_code == 202 and reply.json()["new"] == 1, reply.text
                ids.append(reply.json()["results"][0]["id"])
                # one at a time: the event's first report is decided first
                await wait_until(all_alerted, what="the article's alerts")

        assert await asyncio.to_thread(receiver.wait_for, 5, 20), [
            r.path for r in receiver.requests]
        await asyncio.sleep(0.5)  # room for a wrong extra delivery to show up

    def delivered(path: str) -> list[tuple[str, str | None]]:
        return sorted((r.json()["data"]["article"]["id"], r.json()["data"]["article"]["story_id"])
                      for r in receiver.delivered(path))

    launch, other_words, other_country = ids
    # The story index did not merge the two wordings: two stories.
    assert delivered("/story") == sorted([(launch, launch), (other_words, other_words),
                                          (other_country, other_country)])
    assert delivered("/event") == sorted([(launch, launch), (other_country, other_country)])
    assert all(r.verified for r in receiver.delivered())

    (held,) = await throttled_alerts(redis_client, keys, watchlist_id="per-event")
    assert (held.article_id, held.event_group) == (other_words, "missile_test:kp")
    assert held.title == SAME_LAUNCH_OTHER_WORDS["title"] and len(held.repeat_of) == 1

