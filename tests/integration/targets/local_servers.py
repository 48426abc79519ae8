"""Local stand-ins for the services targets post to, on loopback: each
records what it received and answers with what its check of the request
says (400 naming the problem, as the real service would refuse it)."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestServer
from watchfloor.services.notifier.delivery import DeliveryPipeline, fan_out
from watchfloor.services.notifier.targets import make_http_client

from tests.unit.notifier.factories import make_alert, make_watchlist

#: Checks a request: its problems (empty when the real service would accept it).
Check = Callable[[str, dict[str, str], Any], list[str]]


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: Any
    problems: list[str]


@dataclass
class JsonServer:
    """What a ``json_server`` got, and its URL."""

    server: TestServer
    received: list[Received] = field(default_factory=list)

    def url(self, path: str) -> str:
        return str(self.server.make_url(path))


@asynccontextmanager
async def json_server(check: Check, *, accepted: int = 200) -> AsyncIterator[JsonServer]:
    """A loopback HTTP server that takes JSON posts and ``check``s them."""
    state: JsonServer

    async def handle(request: web.Request) -> web.Response:
        headers = {k.lower(): v for k, v in request.headers.items()}
        try:
            body = json.loads(await request.read())
        except ValueError:
            problems, body = ["body is not JSON"], None
        else:
            problems = check(request.path, headers, body)
        state.received.append(Received(request.path, headers, body, problems))
        if problems:
            return web.json_response({"error": "; ".join(problems)}, status=400)
        return web.Response(status=accepted)

    app = web.Application()
    app.router.add_route("POST", "/{tail:.*}", handle)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    state = JsonServer(server)
    try:
        yield state
    finally:
        await server.close()


async def deliver_one(redis_client, keys, settings, target: dict[str, Any], alert=None):
    """Fan ``alert`` (an invented one by default) out to a watchlist holding
    ``target`` and put the delivery through the notifier's pipeline, with the
    notifier's own client: (delivery, outcome)."""
    watchlist = make_watchlist(targets=[target])
    (delivery,) = fan_out([alert or make_alert()], [watchlist], now=time.time())
    async with make_http_client(settings) as client:
        pipeline = DeliveryPipeline(redis_client, keys, settings, [watchlist], client)
        # process() returns once the outcome is recorded: nothing left in flight
        return delivery, await pipeline.process(delivery, time.time())
