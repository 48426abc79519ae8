"""Each worker serves its own /metrics on its health port; latency shows after traffic."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from watchfloor.services.classifier.app import classifier_parts
from watchfloor.shared.schemas import Article, Classification, utcnow
from watchfloor.shared.streams.publish import publish
from watchfloor.shared.streams.worker import create_worker_app

from tests.integration.helpers import running, wait_until

pytestmark = pytest.mark.integration
COUNT = "watchfloor_ingest_to_classified_seconds_count"


class NothingClassifier:
    def classify_article(self, article: Article) -> Classification:
        return Classification(classifier_version="fake-1")


async def scrape(url: str) -> dict[str, float]:
    async with httpx.AsyncClient(timeout=5) as http:
        reply = await http.get(f"{url}/metrics")
    assert reply.status_code == 200 and reply.headers["content-type"].startswith("text/plain")
    return {s.name: s.value for f in text_string_to_metric_families(reply.text)
            for s in f.samples if not s.labels or s.name.endswith("_count")}


async def test_classifier_reports_ingest_to_classified_latency(settings, keys, redis_client):
    app = create_worker_app(settings.model_copy(update={"health_port": 0}),
                            [lambda rt: classifier_parts(rt, NothingClassifier())])
    async with running(app):
        url = app.runtime.info["health_url"]
        before = (await scrape(url)).get(COUNT, 0.0)
        articles = [Article(id=f"m-{i}", title=f"Invented headline {i}", text="Invented body.",
                            ingested_at=utcnow() - timedelta(seconds=3)) for i in range(3)]
        await publish(redis_client, keys.articles, articles)

        async def classified() -> bool:
            return int(await redis_client.hget(keys.metrics, "classified") or 0) == 3

        await wait_until(classified, what="articles classified")
        after = await scrape(url)
    assert after[COUNT] == before + 3
    # three seconds old at ingestion: every one lands in a bucket of 2.5 s or more
    assert after["watchfloor_ingest_to_classified_seconds_sum"] >= 3 * 3
    assert "process_resident_memory_bytes" in after  # the process collector, per replica
    assert not any(name.startswith("watchfloor_group_") for name in after)
