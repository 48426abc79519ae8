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

Where no token is asked for, a browser must also reach the API by address,
as ``localhost`` or by a name of ``WATCHFLOOR_API_HOST_NAMES``: a page whose
own name was made to resolve to 127.0.0.1 (DNS rebinding) sends its name as
``Host`` and a matching ``Origin``, and wrote watchlists that sent every
alert to it. Where a token is asked for, the page has none to send.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Collection
from urllib.parse import urlsplit

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


def _named_host(host: str) -> str | None:
    """The name in a ``Host`` header when it is neither an address nor
    ``localhost`` ("attacker.example:8080" -> "attacker.example")."""
    try:
        name = (urlsplit("//" + host).hostname or "").rstrip(".")
    except ValueError:  # not a host at all
        return host
    if not name or name == "localhost" or name.endswith(".localhost"):
        return None
    try:
        ipaddress.ip_address(name.split("%", 1)[0])
    except ValueError:
        return name
    return None


def rebinding_problem(scope: Scope, host_names: Collection[str] = ()) -> tuple[int, str] | None:
    """Why this browser request, made by a name to a path that asks no token,
    is refused (``host_names``: the names it may use)."""
    headers = Headers(scope=scope)
    if not any(name in headers for name in BROWSER_HEADERS):
        return None
    name = _named_host(headers.get("host", ""))
    if name is None or name in host_names:
        return None
    return 403, (f"a browser reached this API by the name {name[:100]!r}, which any site can "
                 "make point here: where no token is asked, the API answers browsers only "
                 "at an address, localhost or a name of WATCHFLOOR_API_HOST_NAMES")


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
    """ASGI middleware applying ``cross_site_problem`` to writes under
    ``prefix``, and ``rebinding_problem`` to every request there but under
    ``token_paths`` (the paths that ask for the API token)."""

    def __init__(self, app: ASGIApp, *, prefix: str = "/v1/", token_paths: tuple[str, ...] = (),
                 host_names: Collection[str] = ()) -> None:
        self.app = app
        self.prefix = prefix
        self.token_paths = token_paths
        self.host_names = frozenset(host_names)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] == "http" and path.startswith(self.prefix):
            problem = None
            if not path.startswith(self.token_paths):
                problem = rebinding_problem(scope, self.host_names)
            if problem is None and scope.get("method") not in SAFE_METHODS:
                problem = cross_site_problem(scope)
            if problem is not None:
                status, message = problem
                await JSONResponse(error_body(message), status_code=status)(scope, receive, send)
                return
        await self.app(scope, receive, send)
