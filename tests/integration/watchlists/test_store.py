"""WatchlistStore on a real Redis: secrets kept, version bumped, bad entries skipped."""

from __future__ import annotations

import json
from typing import Any

import pytest
import redis.asyncio as aioredis
from structlog.testing import capture_logs
from watchfloor.services.classifier.taxonomy import known_tag_ids
from watchfloor.services.targets.slack import SlackTarget
from watchfloor.services.targets.webhook import WebhookTarget
from watchfloor.services.watchlists.model import Watchlist
from watchfloor.services.watchlists.store import WatchlistStore, dump_watchlist
from watchfloor.shared.keys import Keys

pytestmark = pytest.mark.integration

# Generated once (os.urandom) for these tests; they protect nothing.
HOOK_SECRET = "whsec_6gtcshWFHleZeRmC8LFtANB5p7DDsOkx0796RjCDuPo="  # 32 bytes
SLACK_URL = "https://hooks.slack.com/services/T0WF00003/B0WF00004/estuaryLantern9k"
CUSTOM_TAG = "port_closure"


def watchlist(watchlist_id: str = "north-sea", **overrides: Any) -> Watchlist:
    data: dict[str, Any] = {
        "id": watchlist_id,
        "name": "North Sea, offshore infrastructure",
        "match": {"tags_any": ["sanctions", CUSTOM_TAG], "keywords_any": ["pipeline"]},
        "targets": [
            {"type": "webhook", "url": "https://hooks.example.net/ns", "secret": HOOK_SECRET},
            {"type": "slack", "url": SLACK_URL},
        ],
    }
    data.update(overrides)
    return Watchlist.model_validate(data)


@pytest.fixture
def store(redis_client: aioredis.Redis, keys: Keys) -> WatchlistStore:
    return WatchlistStore(redis_client, keys, known_tags=(*known_tag_ids(), CUSTOM_TAG))


async def test_round_trip_keeps_secrets_and_bumps_the_version(
    store: WatchlistStore, redis_client: aioredis.Redis, keys: Keys
) -> None:
    assert await store.version() == 0
    assert await store.list() == []
    assert await store.get("north-sea") is None

    original = watchlist()
    assert await store.put(original) is True
    assert await store.version() == 1

    # Stored with the real secrets (the notifier signs with them)...
    raw = json.loads(await redis_client.hget(keys.watchlists, "north-sea"))
    assert raw["targets"][0]["secret"] == HOOK_SECRET
    assert raw["targets"][1]["url"] == SLACK_URL
    # ...and read back equal, secrets included.
    loaded = await store.get("north-sea")
    assert loaded == original
    assert isinstance(loaded.targets[0], WebhookTarget)
    assert loaded.targets[0].secret.get_secret_value() == HOOK_SECRET
    assert isinstance(loaded.targets[1], SlackTarget)
    assert loaded.targets[1].url.get_secret_value() == SLACK_URL

    assert await store.put(watchlist(name="North Sea (renamed)")) is False
    assert await store.version() == 2
    assert (await store.get("north-sea")).name == "North Sea (renamed)"  # type: ignore[union-attr]

    await store.put(watchlist("english-channel", targets=[]))
    assert [w.id for w in await store.list()] == ["english-channel", "north-sea"]

    assert await store.delete("north-sea") is True
    assert await store.version() == 4
    assert await store.delete("north-sea") is False
    assert [w.id for w in await store.list()] == ["english-channel"]


def test_dump_reveals_secrets_only_for_storage() -> None:
    text = dump_watchlist(watchlist())
    assert HOOK_SECRET in text and SLACK_URL in text
    assert "**********" not in text
    # The default dump still masks them.
    assert HOOK_SECRET not in watchlist().model_dump_json()


async def test_corrupt_entries_are_skipped_and_named(
    store: WatchlistStore, redis_client: aioredis.Redis, keys: Keys
) -> None:
    await store.put(watchlist())
    good = json.loads(dump_watchlist(watchlist("bad-secret")))
    good["targets"][0]["secret"] = "whsec_estuaryLantern9k!!"  # not base64
    mismatched = json.loads(dump_watchlist(watchlist("other-id")))
    await redis_client.hset(
        keys.watchlists,
        mapping={
            "not-json": b'{"id": "not-json", estuaryLantern9k',
            "bad-secret": json.dumps(good),
            "wrong-key": json.dumps(mismatched),
        },
    )
    with capture_logs() as logs:
        listed = await store.list()
        assert await store.get("bad-secret") is None
    assert [w.id for w in listed] == ["north-sea"]
    skipped = [e for e in logs if e["event"] == "stored_watchlist_skipped"]
    assert sorted(e["watchlist_id"] for e in skipped) == [
        "bad-secret",
        "bad-secret",
        "not-json",
        "wrong-key",
    ]
    assert all(e["log_level"] == "warning" for e in skipped)
    assert "estuaryLantern9k" not in repr(logs)
    by_id = {e["watchlist_id"]: e["problems"] for e in skipped}
    assert any("targets.0.webhook.secret" in p for p in by_id["bad-secret"])
    assert by_id["wrong-key"] == ["id in the entry differs from its key"]


async def test_entries_are_revalidated_with_the_tags_known_now(
    store: WatchlistStore, redis_client: aioredis.Redis, keys: Keys
) -> None:
    await store.put(watchlist())
    await store.put(watchlist("plain", match={"tags_any": ["sanctions"]}))
    # The custom taxonomy is gone: its tag no longer validates.
    builtin_only = WatchlistStore(redis_client, keys, known_tags=known_tag_ids())
    with capture_logs() as logs:
        assert [w.id for w in await builtin_only.list()] == ["plain"]
    (entry,) = logs
    assert entry["watchlist_id"] == "north-sea"
    assert "unknown tag 'port_closure'" in entry["problems"][0]


async def test_an_email_target_is_stored_under_the_key_it_is_read_by(
    store: WatchlistStore, redis_client: aioredis.Redis, keys: Keys
) -> None:
    # it was stored as "sender" and then skipped on every read: the
    # watchlist vanished after a 201 and never alerted
    original = watchlist(targets=[{"type": "email", "to": ["duty@example.org"],
                                   "from": "watchfloor@example.org", "host": "smtp.example.org"}])
    await store.put(original)
    raw = json.loads(await redis_client.hget(keys.watchlists, "north-sea"))
    assert raw["targets"][0]["from"] == "watchfloor@example.org" and "sender" not in raw["targets"][0]
    assert await store.get("north-sea") == original
    assert [w.id for w in await store.list()] == ["north-sea"]


async def test_an_email_target_stored_by_an_earlier_version_is_read(
    store: WatchlistStore, redis_client: aioredis.Redis, keys: Keys
) -> None:
    entry = json.loads(dump_watchlist(watchlist(targets=[
        {"type": "email", "to": ["duty@example.org"], "from": "watchfloor@example.org",
         "host": "smtp.example.org"}])))
    entry["targets"][0]["sender"] = entry["targets"][0].pop("from")
    await redis_client.hset(keys.watchlists, "north-sea", json.dumps(entry))
    found = await store.get("north-sea")
    assert found is not None and found.targets[0].sender == "watchfloor@example.org"


async def test_a_stored_watchlist_naming_an_unknown_actor_is_still_read(
    store: WatchlistStore, redis_client: aioredis.Redis, keys: Keys
) -> None:
    # saved before actors were checked: dropping it on read would silence
    # the actors it does name; it is checked when next saved
    entry = json.loads(dump_watchlist(watchlist()))
    entry["match"]["actors_any"] = ["KP", "North Korea"]
    await redis_client.hset(keys.watchlists, "north-sea", json.dumps(entry))
    found = await store.get("north-sea")
    assert found is not None and found.match.actors_any == ["KP", "North Korea"]
