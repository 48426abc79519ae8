"""The console behind a proxy that ends TLS: uvicorn believes the forwarded
scheme from WATCHFLOOR_TRUSTED_PROXIES only, and then the session cookie is
Secure and the browser's https Origin is this site's own."""

from __future__ import annotations

import httpx
import pytest
from watchfloor.services.ingest.app import ingest_parts
from watchfloor.shared.streams.worker import create_worker_app

from tests.integration.helpers import running

pytestmark = pytest.mark.integration

FORWARDED = {"x-forwarded-proto": "https", "host": "watchfloor.example.org"}


async def _signin_cookie(settings) -> str:
    # the proxy's site is a name the API may be reached by (DNS rebinding: others are not)
    settings = settings.model_copy(update={"http_port": 0,
                                           "api_host_names": ("watchfloor.example.org",)})
    app = create_worker_app(settings, [ingest_parts])
    async with running(app), httpx.AsyncClient(base_url=app.runtime.info["ingest_url"]) as http:
        reply = await http.get("/signin", headers=FORWARDED)
        assert reply.status_code == 200
        # an API write with the proxied page's Origin is this site's own
        posted = await http.post("/v1/articles", json={"title": "Ferry resumes"},
                                 headers={**FORWARDED, "origin": "https://watchfloor.example.org"})
        assert posted.status_code == (202 if "127.0.0.1" in settings.trusted_proxies else 403)
        return reply.headers["set-cookie"].lower()


async def test_a_trusted_proxy_s_https_makes_the_cookie_secure(settings) -> None:
    cookie = await _signin_cookie(settings)  # the test's requests come from 127.0.0.1
    assert "secure" in cookie and "httponly" in cookie


async def test_forwarded_headers_from_anyone_else_are_not_believed(settings) -> None:
    cookie = await _signin_cookie(settings.model_copy(update={"trusted_proxies": "10.9.8.7"}))
    assert "secure" not in cookie
