"""The address guard on the notifier's side, on a real Redis and real HTTP:
watchlist targets at non-public addresses are refused when saved (API, file)
and when sent to (a host name resolving to loopback); the API does not start
beyond loopback without a token."""

from __future__ import annotations

import asyncio
from ipaddress import ip_network
from pathlib import Path

import httpx
import pytest
from watchfloor.services.classifier.app import classifier_parts
from watchfloor.services.cli.main import main
from watchfloor.services.ingest.app import ingest_parts
from watchfloor.services.notifier.app import notifier_parts
from watchfloor.shared.streams.worker import create_worker_app

from tests.integration.helpers import running, wait_until
from tests.unit.notifier.factories import make_secret

pytestmark = pytest.mark.integration

SECRET = make_secret(11)
MISSILE = {
    "title": "North Korea test-fires ballistic missile into the sea",
    "text": "North Korea test-fired a short-range ballistic missile off its east coast "
            "on Monday, the South Korean military said.",
    "url": "https://news.example.org/guard/missile",
}
# The notations the fault pass used, and a few more: all got 201 before.
NOTATIONS = [
    ("169.254.169.254", "169.254.169.254, a link-local address"),
    ("10.0.0.1", "10.0.0.1, a private address"),
    ("[::ffff:169.254.169.254]", "::ffff:169.254.169.254, a link-local address"),
    ("2852039166", "169.254.169.254, a link-local address"),
    ("0251.0376.0251.0376", "169.254.169.254, a link-local address"),
    ("0xa9fea9fe", "169.254.169.254, a link-local address"),
    ("127.0.0.1:6379", "127.0.0.1, a loopback address"),
    ("127.0.0.1.", "127.0.0.1, a loopback address"),
    ("[::1]", "::1, a loopback address"),
]


def watchlist_body(url: str, kind: str = "webhook") -> dict:
    target = {"type": kind, "url": url} | ({"secret": SECRET} if kind == "webhook" else {})
    return {"name": "Guarded", "match": {"tags_any": ["missile_test"]}, "targets": [target]}


async def test_api_refuses_targets_at_non_public_addresses_in_every_notation(settings) -> None:
    strict = settings.model_copy(update={"target_allowlist": ()})
    app = create_worker_app(strict, [ingest_parts])
    async with running(app), httpx.AsyncClient(base_url=app.runtime.info["ingest_url"]) as api:
        for host, what in NOTATIONS:
            for kind in ("webhook", "slack"):
                url = f"http://{host}/services/T1/B1/s3cretpart"
                reply = await api.put("/v1/watchlists/guarded", json=watchlist_body(url, kind))
                assert reply.status_code == 422, (host, kind, reply.text)
                error = reply.json()["error"]
                assert error["problems"] == [
                    {"field": "targets[0].url",
                     "message": f"is refused: it points at {what} (add its range to "
                                "WATCHFLOOR_TARGET_ALLOWLIST to allow it)"}
                ], (host, kind)
                assert error["message"].startswith("the watchlist is invalid: targets[0].url: ")
                assert "s3cretpart" not in reply.text
        assert (await api.get("/v1/watchlists/guarded")).status_code == 404  # nothing saved
        # a host name is judged when connecting (its DNS answer may change)
        named = await api.put("/v1/watchlists/guarded",
                              json=watchlist_body("http://localhost:9/hook"))
        assert named.status_code == 201, named.text


async def test_the_allow_list_lets_the_api_save_a_loopback_target(settings) -> None:
    app = create_worker_app(settings, [ingest_parts])  # settings open 127.0.0.0/8
    async with running(app), httpx.AsyncClient(base_url=app.runtime.info["ingest_url"]) as api:
        reply = await api.put("/v1/watchlists/local",
                              json=watchlist_body("http://127.0.0.1:9/hook"))
        assert reply.status_code == 201, reply.text


def test_a_watchlists_file_with_a_metadata_address_stops_the_worker(
    tmp_path: Path, redis_url: str, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    path = tmp_path / "watchlists.yaml"
    path.write_text(
        "watchlists:\n"
        "  - id: meta\n"
        "    name: Metadata\n"
        "    targets:\n"
        f"      - {{type: webhook, url: 'http://[::ffff:169.254.169.254]/latest', secret: {SECRET}}}\n"
    )
    monkeypatch.setenv("WATCHFLOOR_WATCHLISTS_FILE", str(path))
    monkeypatch.setenv("WATCHFLOOR_REDIS_URL", redis_url)
    monkeypatch.delenv("WATCHFLOOR_TARGET_ALLOWLIST", raising=False)
    assert main(["worker", "notifier"]) == 2
    err = capsys.readouterr().err
    assert f"{path}: watchlist 'meta' (line 5): targets[0].url is refused: it points at " \
           "::ffff:169.254.169.254, a link-local address" in err


def test_the_api_does_not_start_beyond_loopback_without_a_token(
    redis_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("WATCHFLOOR_REDIS_URL", redis_url)
    monkeypatch.setenv("WATCHFLOOR_HTTP_HOST", "0.0.0.0")
    monkeypatch.setenv("WATCHFLOOR_HTTP_PORT", "0")
    monkeypatch.delenv("WATCHFLOOR_API_TOKEN", raising=False)
    assert main(["worker", "ingest"]) == 2
    err = capsys.readouterr().err
    assert "WATCHFLOOR_HTTP_HOST is '0.0.0.0', which is not a loopback address, and " \
           "WATCHFLOOR_API_TOKEN is not set" in err


async def _deliver_to_localhost(settings, receiver, redis_client, keys, tmp_path: Path):
    """A watchlist whose target is ``localhost`` (a name that resolves to
    127.0.0.1), a missile article through the whole pipeline; returns the
    failed-delivery entries once the delivery settled."""
    path = tmp_path / "watchlists.yaml"
    path.write_text(
        "watchlists:\n"
        "  - id: local\n"
        "    name: Local receiver\n"
        "    match: {tags_any: [missile_test]}\n"
        "    targets:\n"
        f"      - {{type: webhook, url: 'http://localhost:{receiver.port}/alerts', "
        f"secret: {SECRET}}}\n"
    )
    receiver.secrets = {"/alerts": SECRET}
    app = create_worker_app(settings.model_copy(update={"watchlists_file": path}),
                            [ingest_parts, classifier_parts, notifier_parts])
    async with running(app):
        async with httpx.AsyncClient(base_url=app.runtime.info["ingest_url"]) as api:
            assert (await api.post("/v1/articles", json=MISSILE)).status_code == 202

        async def settled() -> bool:
            done = int(await redis_client.hget(keys.metrics, "delivered") or 0)
            return bool(done or await redis_client.xlen(keys.failed_deliveries))
        await wait_until(settled, timeout=20, what="the delivery to settle")
        await asyncio.sleep(0.3)  # room for a wrong extra attempt to show up
    return [
        {k.decode(): v.decode() for k, v in fields.items()}
        for _, fields in await redis_client.xrange(keys.failed_deliveries)
    ]


async def test_a_target_resolving_to_loopback_is_refused_when_sending(
    settings, receiver, redis_client, keys, tmp_path: Path
) -> None:
    strict = settings.model_copy(update={"target_allowlist": ()})
    failed = await _deliver_to_localhost(strict, receiver, redis_client, keys, tmp_path)
    assert receiver.requests == []  # not one byte reached it
    (entry,) = failed
    assert entry["reason"] == "permanent: blocked_address"
    assert await redis_client.zcard(keys.retry_schedule) == 0  # not retried


async def test_the_same_target_is_delivered_when_loopback_is_allowed(
    settings, receiver, redis_client, keys, tmp_path: Path
) -> None:
    opened = settings.model_copy(update={"target_allowlist": (ip_network("127.0.0.0/8"),)})
    failed = await _deliver_to_localhost(opened, receiver, redis_client, keys, tmp_path)
    assert failed == []
    (request,) = receiver.delivered()
    assert request.verified and request.path == "/alerts"
