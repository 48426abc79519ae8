"""The HTTP API with the real publisher on a real Redis."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from watchfloor.services.ingest.api import create_api
from watchfloor.shared.keys import Keys
from watchfloor.shared.settings import Settings

from tests.redis_backend import async_redis, sync_redis

pytestmark = pytest.mark.integration


def test_post_publishes_and_healthz_pings(
    settings: Settings, keys: Keys, redis_url: str, redis_client: object
) -> None:
    # The app's client is created here and used only inside TestClient's loop.
    app_redis = async_redis(redis_url)
    check = sync_redis(redis_url)
    try:
        with TestClient(create_api(settings, app_redis)) as client:
            assert client.get("/healthz").json() == {"status": "ok"}
            batch = [{"title": "Tide gauge installed"}, {"title": "Tide gauge installed"}]
            body = client.post("/v1/articles", json=batch).json()
            assert (body["new"], body["duplicate"]) == (1, 1)
            bad = client.post("/v1/articles", json={"text": "no title"})
            assert bad.status_code == 422
        assert check.xlen(keys.articles) == 1
        assert check.hgetall(keys.metrics) == {
            b"ingested": b"1",
            b"duplicates": b"1",
            b"rejected": b"1",
        }
    finally:
        check.close()
