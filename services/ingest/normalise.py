"""Normalisation: the same story always comes out as the same text and URL.

Dedupe and the classifier both depend on it: two copies of an article that
differ only in entities, invisible characters, spacing or tracking parameters
must produce the same id and content hash. Pure functions, no I/O.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from urllib.parse import quote, unquote_plus, urlsplit, urlunsplit

from watchfloor.shared.errors import InvalidInput
from watchfloor.shared.text_cleaning import clean_text, holds_any, normalise_line, single_spaced


class InvalidURL(InvalidInput, ValueError):
    """A URL that is not an absolute http(s) URL we can canonicalise."""


# --- text -----------------------------------------------------------------


_LINE_BREAKS = re.compile(r"\r\n?|[\u2028\u2029\x0b\x0c\x85]")
_PARAGRAPH_BREAK = re.compile(r"\n[^\S\n]*\n\s*")

# Looking for the line-break characters (``in``, at memchr speed) costs a
# fraction of running the pattern over a text that has none, as most have.
_LINE_BREAK_CHARS = ("\r", "\u2028", "\u2029", "\x0b", "\x0c", "\x85")


def normalise_text(value: str | None) -> str:
    """Body text. Paragraph breaks (blank lines) survive as one blank line,
    because sentence and paragraph boundaries help the classifier; single
    line breaks are hard wraps and become spaces."""
    if not value:
        return ""
    value = clean_text(value)
    if holds_any(value, _LINE_BREAK_CHARS):
        value = _LINE_BREAKS.sub("\n", value)
    paragraphs = map(single_spaced, _PARAGRAPH_BREAK.split(value))
    return "\n\n".join(p for p in paragraphs if p)


def normalise_optional(value: str | None) -> str | None:
    """A short label (source, source id): one line, None when nothing is left."""
    return normalise_line(value) or None


def as_utc(value: datetime | None) -> datetime | None:
    """Aware datetimes converted to UTC; naive ones taken as UTC."""
    if value is None:
        return None
    return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)


# --- URLs -----------------------------------------------------------------

# Query parameters that only say how a reader arrived, never which page.
# (utm_ Google's, at_ AT Internet's "at_medium", ns_ comScore's "ns_campaign")
_TRACKING_PREFIXES = ("utm_", "at_", "ns_")
_TRACKING_PARAMS = frozenset(
    {
        "fbclid", "gclid", "dclid", "gbraid", "wbraid", "msclkid", "yclid", "twclid",
        "igshid", "mc_cid", "mc_eid", "_ga", "_gl", "_hsenc", "_hsmi", "mkt_tok", "ref_src",
        "ocid", "cmpid", "smid", "ito",
    }
)  # fmt: skip
# Query parameters that carry a credential, not a page (an API key a feed's
# URL was given): dropped, so it never travels with the article into alerts.
# Whole names only: a substring ("key" in "monkey") would merge pages.
_CREDENTIAL_PARAMS = frozenset(
    {
        "token", "access_token", "auth_token", "id_token", "api_key", "apikey", "api-key",
        "secret", "client_secret", "password", "passwd", "pwd", "auth", "sig", "signature",
        "session", "sessionid", "jwt",
    }
)  # fmt: skip
# Names whose last word says credential: "apiToken", "private_token",
# "X-Amz-Signature", "refresh_token"; and keys of APIs ("access_key", not a
# bare "key", which some sites use for the page).
_CREDENTIAL_LAST_WORDS = frozenset(
    {"token", "secret", "password", "passwd", "pwd", "signature", "credential", "credentials",
     "jwt", "apikey", "sessionid"})  # fmt: skip
_PAGING_WORDS = frozenset({"page", "next", "prev", "previous", "continuation", "continue",
                           "cursor", "paging", "sync", "resume"})
_KEY_OWNERS = frozenset({"api", "access", "private", "secret", "client", "auth", "subscription"})
_NAME_WORDS = re.compile(r"[A-Z]?[a-z0-9]+|[A-Z]+(?![a-z])")


def is_credential_param(name: str) -> bool:
    """Whether a query parameter named ``name`` carries a credential."""
    if name.lower() in _CREDENTIAL_PARAMS:
        return True
    words = [w.lower() for w in _NAME_WORDS.findall(name)]
    if not words or _PAGING_WORDS.intersection(words):  # "pageToken": which page, no secret
        return False
    if words[-1] in _CREDENTIAL_LAST_WORDS:
        return True
    return words[-1] == "key" and len(words) > 1 and words[-2] in _KEY_OWNERS


_DEFAULT_PORTS = {"http": 80, "https": 443}
_UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
_PERCENT_ESCAPE = re.compile(r"%([0-9A-Fa-f]{2})")
_HOST = re.compile(r"^[a-z0-9_-]+(?:\.[a-z0-9_-]+)*$")
# Characters left as they are when percent-encoding a path or a query part:
# reserved delimiters keep their meaning, '%' keeps existing escapes.
_PATH_SAFE = "/%:@!$&'()*+,;=~"
_QUERY_PART_SAFE = "%:@!$'()*+,;/?~"


def _normalise_escapes(value: str) -> str:
    """RFC 3986 6.2.2: escapes of unreserved characters decoded, others upper-case."""

    def fix(match: re.Match[str]) -> str:
        char = chr(int(match.group(1), 16))
        return char if char in _UNRESERVED else "%" + match.group(1).upper()

    return _PERCENT_ESCAPE.sub(fix, value)


def _remove_dot_segments(path: str) -> str:
    kept: list[str] = []
    for segment in path.split("/")[1:]:
        if segment == "..":
            if kept:
                kept.pop()
        elif segment != ".":
            kept.append(segment)
    return "/" + "/".join(kept)


def _canonical_host(hostname: str | None) -> str:
    host = (hostname or "").rstrip(".")
    if not host:
        raise InvalidURL("URL has no host")
    if ":" in host:  # IPv6 literal; urlsplit dropped the brackets
        return f"[{host}]"
    if not host.isascii():
        try:
            host = host.encode("idna").decode("ascii")
        except UnicodeError:
            raise InvalidURL(f"URL host {host!r} is not a valid domain name") from None
    if not _HOST.match(host):
        raise InvalidURL(f"URL host {host!r} is not a valid domain name")
    return host


def _canonical_query(query: str) -> str:
    kept = []
    for part in query.split("&"):
        if not part:
            continue
        # judged as the server reads it: "%74oken" is "token" (kept, its
        # escapes were decoded below and the credential travelled on)
        name = unquote_plus(part.partition("=")[0])
        lowered = name.lower()
        if (lowered in _TRACKING_PARAMS or lowered.startswith(_TRACKING_PREFIXES)
                or is_credential_param(name)):
            continue
        kept.append(_normalise_escapes(quote(part, safe=_QUERY_PART_SAFE + "=")))
    # Sorted so that parameter order, which no server should depend on for
    # identity, does not make two ids for one page.
    return "&".join(sorted(kept))


def canonical_url(url: str) -> str:
    """The canonical form of an http(s) URL, or ``InvalidURL``.

    Lower-case scheme and host, no default port, no credentials (never carry
    a password or an API key into a stream: no user info, no ``?token=`` or
    ``?api_key=``), no fragment, no tracking parameters, sorted
    query, no dot segments, normalised escapes, no trailing slash except for
    the root path.
    """
    url = url.strip()
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise InvalidURL(f"URL is malformed: {exc}") from None
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS:
        shown = f"scheme {scheme!r}" if scheme else "no scheme"
        raise InvalidURL(f"URL must be http:// or https://, got {shown}")
    host = _canonical_host(parts.hostname)
    netloc = host if port in (None, _DEFAULT_PORTS[scheme]) else f"{host}:{port}"

    path = _remove_dot_segments(_normalise_escapes(quote(parts.path or "/", safe=_PATH_SAFE)))
    if len(path) > 1:
        path = path.rstrip("/") or "/"
    return urlunsplit((scheme, netloc, path, _canonical_query(parts.query), ""))
