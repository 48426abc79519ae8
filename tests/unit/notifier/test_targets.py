"""Senders against aiohttp's local test server: headers, signature, bodies, failures."""

from __future__ import annotations

import asyncio
import json
import socket
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from standardwebhooks.webhooks import Webhook
from watchfloor.services.notifier.delivery import fan_out
from watchfloor.services.notifier.policy import DeliveryResult, Verdict
from watchfloor.services.notifier.targets import USER_AGENT, make_http_client, send
from watchfloor.services.watchlists.model import Watchlist
from watchfloor.shared.schemas import Delivery
from watchfloor.shared.settings import Settings

from tests.unit.notifier.factories import make_alert, make_secret, make_watchlist

SECRET = make_secret(3)
SLACK_PATH = "/services/T1/B1/tok"

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def loopback_settings(**values: object) -> Settings:
    """The test server is on loopback: the address guard must let it through."""
    return Settings(_env_file=None, target_allowlist="127.0.0.0/8,::1/128", **values)


@dataclass
class Seen:
    path: str
    headers: dict[str, str]
    body: bytes
    peer: tuple[str, int]


@asynccontextmanager
async def answering(
    handler: Handler, settings: Settings | None = None
) -> AsyncIterator[tuple[TestServer, aiohttp.ClientSession, list[Seen]]]:
    """A real local HTTP server answering with ``handler``, the notifier's
    client, and what the server got."""
    seen: list[Seen] = []

    async def record(request: web.Request) -> web.StreamResponse:
        seen.append(
            Seen(
                request.path,
                {k.lower(): v for k, v in request.headers.items()},
                await request.read(),
                request.transport.get_extra_info("peername"),
            )
        )
        return await handler(request)

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", record)
    server = TestServer(app)
    await server.start_server()
    try:
        async with make_http_client(settings or loopback_settings()) as client:
            yield server, client, seen
    finally:
        await server.close()


def watchlist(server: TestServer) -> Watchlist:
    return make_watchlist(
        targets=[
            {"type": "webhook", "url": str(server.make_url("/in")), "secret": SECRET},
            {"type": "slack", "url": str(server.make_url(SLACK_PATH))},
        ]
    )


def deliveries(server: TestServer) -> list[Delivery]:
    return fan_out([make_alert()], [watchlist(server)], now=time.time())


def status(code: int, **headers: str) -> Handler:
    async def handler(request: web.Request) -> web.Response:
        return web.Response(status=code, headers=headers, text="{}")

    return handler


async def test_webhook_is_signed_per_standard_webhooks() -> None:
    async with answering(status(204)) as (server, client, seen):
        webhook_delivery = deliveries(server)[0]
        now = time.time()  # the verifier checks the timestamp against the clock
        result = await send(webhook_delivery, watchlist(server).targets[0], client, now)

    assert result == DeliveryResult(Verdict.DELIVERED, "http_204", 204)
    (request,) = seen
    assert request.path == "/in"
    assert request.headers["content-type"] == "application/json"
    assert request.headers["user-agent"] == USER_AGENT
    assert request.headers["webhook-id"] == webhook_delivery.id
    assert request.headers["webhook-timestamp"] == str(int(now))
    assert request.headers["webhook-signature"].startswith("v1,")
    body = Webhook(SECRET).verify(request.body, request.headers)
    assert (
        body["type"] == "watchfloor.alert" and body["data"]["alert_id"] == webhook_delivery.alert.id
    )
    with pytest.raises(Exception):  # noqa: B017 - any verification error
        Webhook(make_secret(4)).verify(request.body, request.headers)


async def test_slack_posts_block_kit_without_signature() -> None:
    async with answering(status(200)) as (server, client, seen):
        result = await send(deliveries(server)[1], watchlist(server).targets[1], client, time.time())

    assert result.verdict is Verdict.DELIVERED
    (request,) = seen
    assert request.path == SLACK_PATH
    assert "webhook-signature" not in request.headers
    body = json.loads(request.body)
    assert body["blocks"][0]["type"] == "header" and body["text"]


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def test_failures_become_results() -> None:
    url = f"http://127.0.0.1:{_closed_port()}/hook"
    target = make_watchlist(targets=[{"type": "webhook", "url": url, "secret": SECRET}]).targets[0]
    async with answering(status(200)) as (server, client, _):
        result = await send(deliveries(server)[0], target, client, time.time())
    assert result == DeliveryResult(Verdict.RETRY, "connect_error")


async def test_a_slow_answer_is_a_timeout() -> None:
    async def slow(request: web.Request) -> web.Response:
        await asyncio.sleep(2)
        return web.Response(status=200)

    settings = loopback_settings(webhook_timeout_s=0.2)
    async with answering(slow, settings) as (server, client, _):
        started = time.monotonic()
        result = await send(deliveries(server)[0], watchlist(server).targets[0], client, time.time())
    assert result == DeliveryResult(Verdict.RETRY, "timeout")
    assert time.monotonic() - started < 1.5


async def test_status_goes_through_the_policy() -> None:
    async with answering(status(429, **{"Retry-After": "12"})) as (server, client, _):
        result = await send(deliveries(server)[1], watchlist(server).targets[1], client, time.time())
    assert result == DeliveryResult(Verdict.RETRY, "http_429", 429, 12.0)


async def test_redirects_are_not_followed() -> None:
    async def handler(request: web.Request) -> web.Response:
        if request.path == "/in":
            return web.Response(status=307, headers={"location": "/elsewhere"})
        return web.Response(status=200)

    async with answering(handler) as (server, client, seen):
        result = await send(deliveries(server)[0], watchlist(server).targets[0], client, time.time())
    assert result.verdict is Verdict.GIVE_UP and result.reason == "http_307"
    assert [r.path for r in seen] == ["/in"]


async def test_connections_are_kept_alive() -> None:
    """The answer's body is drained, so one connection serves every send."""
    async with answering(status(200)) as (server, client, seen):
        targets = dict(zip(["webhook-1", "slack-1"], watchlist(server).targets, strict=True))
        for delivery in deliveries(server) * 3:
            target = targets[delivery.target_name]
            assert (await send(delivery, target, client, time.time())).verdict is Verdict.DELIVERED
    assert len(seen) == 6 and len({r.peer for r in seen}) == 1


async def test_http_client_has_explicit_timeouts_and_limits() -> None:
    settings = Settings(_env_file=None, webhook_timeout_s=2.5, delivery_concurrency=7)
    async with make_http_client(settings) as client:
        assert client.timeout.total == 2.5
        assert client.timeout.sock_connect == 2.5 and client.timeout.sock_read == 2.5
        assert client.connector is not None
        assert client.connector.limit == 7 and client.connector.limit_per_host == 7
        assert client.trust_env is False
    short = Settings(_env_file=None, webhook_timeout_s=10)
    async with make_http_client(short) as client:
        assert client.timeout.total == 10 and client.timeout.sock_connect == 3.0
