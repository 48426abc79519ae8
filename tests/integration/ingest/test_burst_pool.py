"""Bursts wait for a Redis connection instead of failing; only an overloaded
process answers 429 (with Retry-After), never 503 while Redis is fine."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from pydantic import SecretStr
from watchfloor.services.ingest.api import create_api
from watchfloor.shared.keys import Keys
from watchfloor.shared.redis_client import REDIS_FAILURES, pool_exhausted, redis_client
from watchfloor.shared.settings import Settings

pytestmark = pytest.mark.integration


async def test_more_commands_at_once_than_connections_all_succeed(settings: Settings) -> None:
    # redis-py's own pool failed at once past 100 connections ("Too many connections").
    client = redis_client(settings)
    try:
        key = f"{settings.key_prefix}:burst:empty"
        replies = await asyncio.gather(*(client.blpop([key], timeout=0.1) for _ in range(150)))
        assert replies == [None] * 150
        assert settings.redis_max_connections < 150
    finally:
        await client.aclose()


async def test_a_post_that_finds_every_connection_busy_gets_429_then_succeeds(
    settings: Settings,
) -> None:
    tight = settings.model_copy(update={"redis_max_connections": 2, "redis_pool_timeout_s": 0.2})
    client = redis_client(tight)
    api = create_api(tight, client)
    hold = f"{Keys.for_settings(settings).base}:burst:hold"  # where ingest writes, on a cluster too
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=api),
                                     base_url="http://ingest") as http:
            # A cluster client learns its nodes on its first command; a POST
            # arriving meanwhile could publish before the hogs held their places.
            await client.ping()
            hogs = [asyncio.create_task(client.blpop([hold], timeout=1)) for _ in range(2)]
            await asyncio.sleep(0.1)  # both connections taken
            busy = await http.post("/v1/articles", json={"title": "Harbour crane delivered"})
            assert busy.status_code == 429
            assert busy.headers["retry-after"] == "1"
            assert "busy" in busy.json()["error"]["message"]
            await asyncio.gather(*hogs)
            ok = await http.post("/v1/articles", json={"title": "Harbour crane delivered"})
            assert ok.status_code == 202
            assert ok.json()["new"] == 1
    finally:
        await client.aclose()


async def test_an_unreachable_redis_is_not_mistaken_for_a_busy_pool(settings: Settings) -> None:
    down = settings.model_copy(update={"redis_url": SecretStr("redis://127.0.0.1:1/0")})
    client = redis_client(down, connect_timeout_s=0.5)
    try:
        with pytest.raises(REDIS_FAILURES) as caught:
            await client.ping()
        assert not pool_exhausted(caught.value)
    finally:
        await client.aclose()
