"""An analyst adds a ninth tag in their own taxonomy file: it is classified by
the worker, accepted in a watchlist, and alerted on, with no code change."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from watchfloor.services.classifier.app import classifier_parts
from watchfloor.services.classifier.taxonomy import DEFAULT_TAXONOMY_PATH
from watchfloor.services.notifier.app import notifier_parts
from watchfloor.shared.schemas import Article
from watchfloor.shared.streams.codec import encode
from watchfloor.shared.streams.worker import create_worker_app

from tests.integration.helpers import running

pytestmark = pytest.mark.integration

SECRET = "whsec_" + "Y3liZXItdGFnLXNlY3JldC1mb3ItdGVzdHMtMTIz"

NINTH_TAG = """
  cyber_attack:
    description: A state-linked cyber attack on infrastructure or institutions.
    rules:
      - id: cyber-attack-attributed
        confidence: 0.8
        trigger: [cyberattack*, cyber attack*, ransomware attack*]
        with: ["@state_actor"]
"""

WATCHLISTS = f"""
watchlists:
  - id: cyber
    name: State cyber attacks
    match: {{tags_any: [cyber_attack]}}
    targets:
      - {{type: webhook, url: "${{RECEIVER}}/cyber", secret: "{SECRET}"}}
"""


async def test_a_ninth_tag_works_end_to_end(settings, receiver, redis_client, keys, tmp_path: Path):
    taxonomy = tmp_path / "taxonomy.yaml"
    taxonomy.write_text(Path(DEFAULT_TAXONOMY_PATH).read_text() + NINTH_TAG)
    watchlists = tmp_path / "watchlists.yaml"
    watchlists.write_text(WATCHLISTS)
    receiver.secrets = {"/cyber": SECRET}
    custom = settings.model_copy(update={"taxonomy_file": taxonomy, "watchlists_file": watchlists})

    await redis_client.xadd(keys.articles, encode(Article(
        id="cyber-1",
        title="Ministry blames Russian hackers for cyberattack on power grid",
        text="The government said a cyberattack had cut power to 200,000 homes.",
    )))
    await redis_client.xadd(keys.articles, encode(Article(
        id="calm-1", title="Local bakery wins regional bread award", text="Judges praised the rye.",
    )))
    app = create_worker_app(custom, [classifier_parts, notifier_parts],
                            env={"RECEIVER": receiver.url("")})
    async with running(app):
        assert await asyncio.to_thread(receiver.wait_for, 1, 20)
        await asyncio.sleep(0.5)

    (request,) = receiver.delivered()
    assert request.verified
    data = request.json()["data"]
    assert data["article"]["id"] == "cyber-1"
    assert [t["tag"] for t in data["tags"]] == ["cyber_attack"]
    assert "cyberattack" in data["tags"][0]["evidence"]
