"""How the ingest side fetches over HTTP: feeds (the poller, ``ingest --feed``)
and pages (``ingest --page``).

One way to build the client (``http_client``): a timeout on each step, a
total deadline the caller applies around the whole fetch (a server dripping
one byte at a time cannot hold it), redirects followed up to a limit, no
proxy from the environment, and the address guard on every connection,
redirects included (``shared.egress``): loopback, private, link-local,
multicast and reserved addresses are refused unless
``WATCHFLOOR_TARGET_ALLOWLIST`` opens them.

Error messages never carry a URL's credentials: ``describe_error`` redacts
every URL an exception mentions (``shared.urls.redact_credentials``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping

import httpx
from watchfloor.shared.addresses import AddressPolicy, blocked_cause
from watchfloor.shared.egress import GuardedAsyncTransport
from watchfloor.shared.urls import redact_credentials

MAX_REDIRECTS = 5
DEADLINE_SETTING = "WATCHFLOOR_FETCH_DEADLINE_S"
_URL_IN_TEXT = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://[^\s'\"<>]+")


def http_client(
    *,
    timeout_s: float,
    addresses: AddressPolicy,
    headers: Mapping[str, str],
    max_connections: int = 10,
    transport: httpx.AsyncBaseTransport | None = None,  # tests: httpx.MockTransport
) -> httpx.AsyncClient:
    """The client for feeds or pages; close it with ``aclose()``."""
    limits = httpx.Limits(max_connections=max_connections)
    return httpx.AsyncClient(
        timeout=httpx.Timeout(timeout_s),
        follow_redirects=True,
        max_redirects=MAX_REDIRECTS,
        headers=dict(headers),
        # A proxy would resolve and connect on our behalf, out of the guard's sight.
        trust_env=False,
        transport=transport or GuardedAsyncTransport(addresses, limits=limits),
    )


def redact_urls(text: str) -> str:
    """``text`` with every URL in it shown without credentials."""
    return _URL_IN_TEXT.sub(lambda m: redact_credentials(m.group(0)), text)


def describe_error(exc: BaseException, *, timeout_s: float, deadline_s: float) -> str:
    """A short reason for a failed fetch, credentials removed."""
    blocked = blocked_cause(exc)
    if blocked is not None:
        return blocked.describe()
    if isinstance(exc, httpx.TooManyRedirects):
        return f"more than {MAX_REDIRECTS} redirects"
    if isinstance(exc, httpx.TimeoutException):
        return f"no response within {timeout_s:g} s"
    if isinstance(exc, TimeoutError):
        return f"not finished within {deadline_s:g} s ({DEADLINE_SETTING})"
    if isinstance(exc, httpx.InvalidURL):
        return f"invalid URL: {redact_urls(str(exc))}"
    message = redact_urls(str(exc)) or type(exc).__name__
    if isinstance(exc, httpx.HTTPError) and type(exc).__name__ not in message:
        message = f"{type(exc).__name__}: {message}"
    return message[:300]


#: What a fetch can fail with besides its own errors: transport failures,
#: the total deadline, a refused address, a URL httpx cannot use.
FETCH_ERRORS = (httpx.HTTPError, httpx.InvalidURL, TimeoutError, OSError)
