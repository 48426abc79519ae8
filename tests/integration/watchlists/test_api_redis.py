"""The watchlists API through create_api with the real store on a real Redis."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import httpx
import pytest
import redis.asyncio as aioredis
from pydantic import SecretStr
from watchfloor.services.classifier.taxonomy import known_tag_ids
from watchfloor.services.ingest.api import create_api
from watchfloor.services.watchlists.model import Watchlist
from watchfloor.services.watchlists.store import WatchlistStore
from watchfloor.shared.keys import Keys
from watchfloor.shared.settings import Settings

pytestmark = pytest.mark.integration

# Generated once (os.urandom) for these tests; they protect nothing.
HOOK_SECRET = "whsec_6ukumA+BqbAgQsGhafSTQeg45BbmbeyJ"  # 24 bytes
SLACK_URL = "https://hooks.slack.com/services/T0WF00005/B0WF00006/tidewaterBeacon4m"
API_TOKEN = "wf-token-81f0c2d4aa6e"
BEARER = {"Authorization": f"Bearer {API_TOKEN}"}

FILE_WATCHLIST = Watchlist.model_validate(
    {"id": "from-file", "name": "From the file", "match": {"tags_any": ["sanctions"]}}
)


def body(name: str = "Strait of Hormuz, shipping") -> dict[str, object]:
    return {
        "name": name,
        "match": {"tags_any": ["arms_transfer", "sanctions"], "actors_any": ["IR"]},
        "targets": [
            {"type": "webhook", "url": "https://hooks.example.com/hormuz", "secret": HOOK_SECRET},
            {"type": "slack", "url": SLACK_URL},
        ],
    }


@pytest.fixture
async def api(settings: Settings, redis_client: aioredis.Redis) -> AsyncIterator[httpx.AsyncClient]:
    secured = settings.model_copy(update={"api_token": SecretStr(API_TOKEN)})
    app = create_api(secured, redis_client, file_watchlists=[FILE_WATCHLIST])
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://watchfloor") as client:
        yield client


async def test_watchlists_are_stored_in_redis_and_shown_redacted(
    api: httpx.AsyncClient, redis_client: aioredis.Redis, keys: Keys
) -> None:
    texts = []
    assert (await api.get("/v1/watchlists")).status_code == 401

    created = await api.put("/v1/watchlists/hormuz", json=body(), headers=BEARER)
    assert created.status_code == 201, created.text
    texts.append(created.text)
    replaced = await api.put("/v1/watchlists/hormuz", json=body("Hormuz"), headers=BEARER)
    assert replaced.status_code == 200
    texts.append(replaced.text)

    # In Redis: the full watchlist with its secrets, and two version bumps.
    stored = json.loads(await redis_client.hget(keys.watchlists, "hormuz"))
    assert stored["name"] == "Hormuz"
    assert stored["targets"][0]["secret"] == HOOK_SECRET
    assert stored["targets"][1]["url"] == SLACK_URL
    assert await redis_client.get(keys.watchlists_version) == b"2"

    # What a notifier would load sees the same watchlist, secrets included.
    loaded = await WatchlistStore(redis_client, keys, known_tags=known_tag_ids()).get("hormuz")
    assert loaded is not None
    assert loaded.targets[0].secret.get_secret_value() == HOOK_SECRET  # type: ignore[union-attr]

    listed = await api.get("/v1/watchlists", headers=BEARER)
    texts.append(listed.text)
    assert listed.json()["version"] == 2
    assert [(w["id"], w["source"]) for w in listed.json()["watchlists"]] == [
        ("from-file", "file"),
        ("hormuz", "api"),
    ]
    assert listed.json()["watchlists"][1]["targets"] == [
        {"type": "webhook", "url": "https://hooks.example.com/hormuz", "secret_set": True},
        {"type": "slack", "url_set": True},
    ]
    one = await api.get("/v1/watchlists/hormuz", headers=BEARER)
    texts.append(one.text)

    conflict = await api.put("/v1/watchlists/from-file", json=body(), headers=BEARER)
    assert conflict.status_code == 409
    bad = await api.put(
        "/v1/watchlists/hormuz", json={**body(), "match": {"tags_any": ["piracy"]}}, headers=BEARER
    )
    assert bad.status_code == 422
    texts += [conflict.text, bad.text]
    assert json.loads(await redis_client.hget(keys.watchlists, "hormuz"))["name"] == "Hormuz"

    assert (await api.delete("/v1/watchlists/hormuz", headers=BEARER)).status_code == 204
    assert await redis_client.hget(keys.watchlists, "hormuz") is None
    assert await redis_client.get(keys.watchlists_version) == b"3"
    assert (await api.delete("/v1/watchlists/hormuz", headers=BEARER)).status_code == 404

    for text in texts:
        assert HOOK_SECRET not in text
        assert "tidewaterBeacon4m" not in text


async def test_a_put_with_if_match_replaces_only_the_version_it_read(
    api: httpx.AsyncClient, redis_client: aioredis.Redis, keys: Keys
) -> None:
    created = await api.put("/v1/watchlists/hormuz", json=body(), headers=BEARER)
    read = await api.get("/v1/watchlists/hormuz", headers=BEARER)
    etag = read.headers["etag"]
    assert etag == created.headers["etag"] and etag.startswith('"')
    # a change count, not a hash of the stored JSON: that would let anyone
    # who may read the watchlist test guesses of the secrets in it
    assert etag.strip('"').isdigit()

    # someone else saves in between: the PUT of what was read is refused
    other = await api.put("/v1/watchlists/hormuz", json=body("Theirs"), headers=BEARER)
    stale = await api.put("/v1/watchlists/hormuz", json=body("Mine"),
                          headers={**BEARER, "If-Match": etag})
    assert stale.status_code == 412 and "changed or removed" in stale.json()["error"]["message"]
    assert json.loads(await redis_client.hget(keys.watchlists, "hormuz"))["name"] == "Theirs"

    fresh = await api.put("/v1/watchlists/hormuz", json=body("Mine"),
                          headers={**BEARER, "If-Match": other.headers["etag"]})
    assert fresh.status_code == 200 and fresh.json()["name"] == "Mine"

    # create only
    taken = await api.put("/v1/watchlists/hormuz", json=body(),
                          headers={**BEARER, "If-None-Match": "*"})
    assert taken.status_code == 412
    new = await api.put("/v1/watchlists/gulf", json=body(), headers={**BEARER, "If-None-Match": "*"})
    assert new.status_code == 201
    # deleted meanwhile: not brought back
    await api.delete("/v1/watchlists/gulf", headers=BEARER)
    gone = await api.put("/v1/watchlists/gulf", json=body(),
                         headers={**BEARER, "If-Match": new.headers["etag"]})
    assert gone.status_code == 412 and await redis_client.hget(keys.watchlists, "gulf") is None

    bad = await api.put("/v1/watchlists/gulf", json=body(), headers={**BEARER, "If-Match": "*"})
    assert bad.status_code == 400
