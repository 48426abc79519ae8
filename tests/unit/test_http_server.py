"""The workers' HTTP server: quiet when idle, prompt to stop, no signal taken."""

from __future__ import annotations

import asyncio
import signal

import httpx
import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Route
from watchfloor.shared.http_server import WorkerHttpServer
from watchfloor.shared.listen import listen_socket


class CountingServer(WorkerHttpServer):
    ticks = 0

    async def on_tick(self, counter: int) -> bool:
        self.ticks += 1
        return await super().on_tick(counter)


async def _hello(_request):
    return PlainTextResponse("hello")


@pytest.mark.asyncio
async def test_serves_wakes_about_once_a_second_and_stops_at_once_when_told():
    sock = listen_socket("127.0.0.1", 0, "TEST_PORT")
    config = uvicorn.Config(Starlette(routes=[Route("/", _hello)]), log_config=None,
                            access_log=False, lifespan="off")
    server = CountingServer(config)
    url = await server.start("test-server", sockets=[sock])
    async with httpx.AsyncClient() as client:
        reply = await client.get(f"{url}/")
    assert reply.status_code == 200 and reply.text == "hello"
    assert "date" in reply.headers  # uvicorn's Date header is still set

    ticks_before = server.ticks
    await asyncio.sleep(2.5)
    assert server.ticks - ticks_before <= 4  # uvicorn's own loop: 25 in 2.5 s

    await asyncio.wait_for(server.stop(), timeout=0.9)  # well before the next tick


@pytest.mark.asyncio
async def test_leaves_the_process_signals_to_the_worker_app():
    handler = signal.getsignal(signal.SIGTERM)
    server = WorkerHttpServer(uvicorn.Config(Starlette(), log_config=None))
    with server.capture_signals():
        assert signal.getsignal(signal.SIGTERM) is handler
