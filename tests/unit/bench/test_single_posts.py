"""The single-POST flood: open loop on a real local HTTP server, the warm-up
reported apart, and how late the load generator itself sent."""

from __future__ import annotations

import asyncio

from aiohttp import web
from aiohttp.test_utils import TestServer
from watchfloor.services.bench.single_posts import flood

RATE = 200.0


async def _server(handler) -> TestServer:
    app = web.Application()
    app.router.add_post("/v1/articles", handler)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    return server


def _articles(count: int) -> list[dict]:
    return [{"title": f"t{i}", "text": "x", "url": f"https://example.org/{i}"}
            for i in range(count)]


async def test_requests_go_on_schedule_while_earlier_ones_wait_for_answers():
    # every answer takes 0.3 s: a closed loop would send 3 a second, an open
    # loop keeps RATE a second, so many are waiting at once
    waiting = 0
    most_waiting = 0

    async def slow(request: web.Request) -> web.Response:
        nonlocal waiting, most_waiting
        waiting += 1
        most_waiting = max(most_waiting, waiting)
        await asyncio.sleep(0.3)
        waiting -= 1
        return web.json_response({"accepted": 1}, status=202)

    server = await _server(slow)
    try:
        result = await flood(str(server.make_url("")).rstrip("/"), _articles(40), RATE)
    finally:
        await server.close()
    assert result["status_counts"] == {"202": 40}
    assert most_waiting >= 20  # 0.3 s of answers at 200/s overlap
    assert result["seconds"] < 1.0  # 40 at 200/s is 0.2 s of sending, then one answer time
    assert result["post_latency_ms"]["p50"] >= 300  # from the scheduled time


async def test_the_warm_up_is_reported_apart_and_statuses_cover_every_request():
    calls = 0

    async def first_slow(request: web.Request) -> web.Response:
        nonlocal calls
        calls += 1
        if calls <= 5:  # a cold start: the first answers are slow
            await asyncio.sleep(0.2)
            return web.json_response({"error": "busy"}, status=429)
        return web.json_response({"accepted": 1}, status=202)

    server = await _server(first_slow)
    try:
        result = await flood(str(server.make_url("")).rstrip("/"), _articles(30), RATE, warmup=10)
    finally:
        await server.close()
    assert result["requests"] == 20 and result["warmup"]["requests"] == 10
    assert result["status_counts"] == {"202": 25, "429": 5}
    assert result["responses_429"] == 5 and result["responses_5xx"] == 0
    assert result["warmup"]["post_latency_ms"]["max"] >= 200
    assert result["post_latency_ms"]["max"] < 200  # the measured ones met no cold start
    lag = result["client_send_lag_ms"]
    assert lag["p50"] is not None and lag["p50"] >= 0


async def test_a_refused_connection_is_a_client_error_not_a_latency():
    async def accept(request: web.Request) -> web.Response:
        return web.json_response({}, status=202)

    server = await _server(accept)
    url = str(server.make_url("")).rstrip("/")
    await server.close()  # nothing listens there any more
    result = await flood(url, _articles(5), RATE)
    assert result["client_errors"] == {"ClientConnectorError": 5}
    assert result["post_latency_ms"]["p50"] is None
