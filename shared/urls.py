"""URLs: which ones are http(s), and how they are shown to people (logs,
status, API responses, error messages) without their credentials.

Two redactions, for two kinds of URL:

- ``redact_url``: a service address (the Redis URL). Only the password is
  masked (``user:***@``, ``?password=***``); the user name stays, as it
  helps tell connections apart.
- ``redact_credentials``: a URL someone else gave us (feeds, webhooks). The
  whole userinfo goes, and query values with credential-like names are
  masked too (``?token=``, ``?api_key=``...).
"""

from __future__ import annotations

import re
from urllib.parse import SplitResult, parse_qsl, urlencode, urlsplit, urlunsplit

UNPARSEABLE = "<unparseable url>"
REDACTED = "***"  # in place of a credential

# Query parameters whose values are treated as credentials: any name that
# holds one of these ("access_token", "X-Amz-Signature", "apikey"), and
# Azure Functions' "code".
_SECRET_PARAMS = re.compile(
    r"(?i)(token|key|secret|pass|pwd|auth|sig|session|credential|jwt|bearer|otp|sas)|^code$")


def _split(url: str) -> tuple[SplitResult, int | None] | None:
    """The parts and the port, or None when the URL cannot be read (a bad
    port only shows when ``.port`` is asked for)."""
    try:
        parts = urlsplit(url)
        return parts, parts.port
    except ValueError:
        return None


def _netloc(userinfo: str | None, host: str, port: int | None) -> str:
    return (f"{userinfo}@" if userinfo is not None else "") + host + (f":{port}" if port else "")


def is_http_url(url: str) -> bool:
    """True for an absolute http(s) URL with a host (one that can be looked
    up: no empty label as in "a..b", none over 63 characters) and a readable port."""
    split = _split(url)
    if split is None:
        return False
    parts, _ = split
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return False
    try:
        parts.hostname.encode("idna")
    except UnicodeError:
        return False
    return True


def looks_like_http_url(location: str) -> bool:
    """True when a location given on the command line (a URL or a file path)
    is meant as an http(s) URL; ``is_http_url`` then says if it is a usable one."""
    return location.lower().startswith(("http://", "https://"))


def redact_url(url: str) -> str:
    """``url`` without its password (in the userinfo or as ``?password=``),
    for logs and status output."""
    split = _split(url)
    if split is None:
        return UNPARSEABLE
    parts, port = split
    query = _masked_query(parts.query)
    if parts.password is None and query == parts.query:
        return url
    netloc = parts.netloc
    if parts.password is not None:
        netloc = _netloc(f"{parts.username or ''}:***", parts.hostname or "", port)
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


def _masked_query(query: str) -> str:
    """``query`` with the values of credential-like names masked."""
    if not query:
        return query
    pairs = parse_qsl(query, keep_blank_values=True)
    if not any(_SECRET_PARAMS.search(k) for k, _ in pairs):
        return query
    return urlencode([(k, REDACTED if _SECRET_PARAMS.search(k) else v) for k, v in pairs],
                     safe="*")


def redact_credentials(url: str) -> str:
    """``url`` without userinfo, and with credential-like query values masked."""
    split = _split(url)
    if split is None:
        return UNPARSEABLE
    parts, port = split
    netloc = parts.netloc
    if "@" in netloc:
        netloc = _netloc(REDACTED, parts.hostname or "", port)
    return urlunsplit((parts.scheme, netloc, parts.path, _masked_query(parts.query),
                       parts.fragment))
