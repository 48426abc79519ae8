"""At most N POSTs in flight; the next gets 429 with Retry-After, others pass."""

from __future__ import annotations

import asyncio

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from watchfloor.services.ingest.backpressure import InFlightLimit


def _app(release: asyncio.Event) -> Starlette:
    async def post(_: Request) -> JSONResponse:
        await release.wait()
        return JSONResponse({"ok": True}, status_code=202)

    async def get(_: Request) -> JSONResponse:
        return JSONResponse({"status": "ok"})

    app = Starlette(routes=[Route("/v1/articles", post, methods=["POST"]),
                            Route("/healthz", get)])
    app.add_middleware(InFlightLimit, path="/v1/articles", limit=2)
    return app


async def test_the_request_past_the_limit_gets_429_and_the_others_finish() -> None:
    release = asyncio.Event()
    transport = httpx.ASGITransport(app=_app(release))
    async with httpx.AsyncClient(transport=transport, base_url="http://ingest") as http:
        first = [asyncio.create_task(http.post("/v1/articles", json={})) for _ in range(2)]
        await asyncio.sleep(0.05)
        refused = await http.post("/v1/articles", json={})
        assert refused.status_code == 429
        assert refused.headers["retry-after"] == "1"
        assert (await http.get("/healthz")).status_code == 200  # other paths unaffected
        release.set()
        assert [r.status_code for r in await asyncio.gather(*first)] == [202, 202]
        assert (await http.post("/v1/articles", json={})).status_code == 202
