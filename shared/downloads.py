"""Reading a fetched body (a feed, a page) with a cap on what it inflates to."""

from __future__ import annotations

import httpx


class BodyRefused(Exception):
    """The body is over the cap, or compressed in a way not taken; the
    message says which (without the URL: callers add what they show)."""


def _codings(headers: httpx.Headers) -> list[str]:
    return [coding for part in headers.get_list("content-encoding", split_commas=True)
            if (coding := part.strip().lower()) and coding != "identity"]


async def read_download(response: httpx.Response, limit: int, shown_limit: str) -> bytes:
    """The decoded body, refused once it passes ``limit`` bytes.

    httpx inflates each chunk read from the network whole before we see it.
    One layer of gzip inflates 64 KiB to at most ~66 MB, bounded; stacked
    layers ("gzip, gzip") multiply: a reply of under a kilobyte became
    400 MB before the first check. No browser or feed server sends those.
    """
    codings = _codings(response.headers)
    if len(codings) > 1:
        raise BodyRefused(f"compressed more than once (Content-Encoding: {', '.join(codings)})")
    declared = response.headers.get("content-length", "")
    if not codings and declared.isdigit() and int(declared) > limit:
        raise BodyRefused(f"larger than {shown_limit}")
    body = bytearray()
    async for chunk in response.aiter_bytes():
        body += chunk
        if len(body) > limit:
            raise BodyRefused(f"larger than {shown_limit}")
    return bytes(body)
