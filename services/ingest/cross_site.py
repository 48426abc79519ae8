"""Refuse API writes a web page could make from an officer's browser.

A page on any site can make the browser POST to the API without asking it
first (a "simple" cross-origin request: a form, or ``fetch`` in ``no-cors``
mode, with ``text/plain``, a urlencoded or a multipart body). Left alone,
that injects articles (and alerts) into an internal Watchfloor that needs no
token. Browsers send ``Origin`` with every such request, so a write whose
``Origin`` is not this server's own is refused (403); and from a browser
(``Origin``, ``Referer`` or ``Sec-Fetch-*`` present) a body declared as
anything but JSON is refused (415) before it is read. Clients that are not
browsers (curl, scripts) send none of these and are unaffected.
"""

from __future__ import annotations

from starlette.datastructures import Headers
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send
from watchfloor.shared.http import error_body, is_foreign_origin

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# What a browser adds to a request a page makes (curl and scripts send none):
# only then is a body that is not declared as JSON refused, so clients that
# never set the type (curl -d, urllib) keep working.
BROWSER_HEADERS = ("origin", "referer", "sec-fetch-site", "sec-fetch-mode")


def is_json(content_type: str) -> bool:
    media = content_type.split(";", 1)[0].strip().lower()
    return media == "application/json" or (media.startswith("application/")
                                           and media.endswith("+json"))


def cross_site_problem(scope: Scope) -> tuple[int, str] | None:
    """Why this write is refused, or None."""
    headers = Headers(scope=scope)
    origin = headers.get("origin")
    if is_foreign_origin(origin, scope.get("scheme", "http"), headers.get("host", "")):
        return 403, (f"a write from another site ({(origin or '')[:100]}) is refused: call the API "
                     "from a server or script, not from a web page")
    content_type = headers.get("content-type")
    from_a_browser = any(name in headers for name in BROWSER_HEADERS)
    if from_a_browser and content_type is not None and not is_json(content_type):
        return 415, (f"the body must be JSON, sent with Content-Type: application/json "
                     f"(it was declared as {content_type[:100]!r})")
    return None


class CrossSiteGuard:
    """ASGI middleware applying ``cross_site_problem`` to writes under ``prefix``."""

    def __init__(self, app: ASGIApp, *, prefix: str = "/v1/") -> None:
        self.app = app
        self.prefix = prefix

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (scope["type"] == "http" and scope.get("method") not in SAFE_METHODS
                and scope.get("path", "").startswith(self.prefix)):
            problem = cross_site_problem(scope)
            if problem is not None:
                status, message = problem
                await JSONResponse(error_body(message), status_code=status)(scope, receive, send)
                return
        await self.app(scope, receive, send)
