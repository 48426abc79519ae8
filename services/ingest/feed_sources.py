"""The feeds the ingest worker polls: the YAML file named by ``WATCHFLOOR_FEEDS_FILE``.

::

    feeds:
      - url: https://courier.example/world.rss
        name: The Courier          # optional; the articles' source
        interval_s: 120            # optional; default settings.feed_interval_s
      - url: "https://reader:${WIRE_TOKEN}@wire.example/feed.atom"

``${VAR}`` in a string value is replaced from the ``env`` mapping the caller
passes (the process environment in production), so credentials need not sit
in the file; ``$${`` writes a literal ``${``.

Every problem is reported at once, each naming the file, the feed, the line
and the field, and never a URL in full: it may carry credentials. With an
``AddressPolicy`` (the worker passes ``settings.address_policy``), a URL whose
host is a literal non-public address the allow-list does not open
(``127.0.0.1``, ``2852039166``, ``[::ffff:169.254.169.254]``...) is a
problem too; host names are checked on each connection.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from watchfloor.shared.addresses import AddressPolicy
from watchfloor.shared.errors import ConfigError
from watchfloor.shared.urls import is_http_url, redact_credentials
from watchfloor.shared.yaml_config import YamlSyntaxError, expand_env, line_of, parse_yaml

MIN_INTERVAL_S = 30.0
FIELDS = ("url", "name", "interval_s")



class FeedConfigError(ConfigError, ValueError):
    """The feeds file is unusable. ``problems`` holds one line per problem."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))


@dataclass(frozen=True)
class FeedSource:
    """One configured feed. ``url`` may hold credentials: show ``display_url``."""

    url: str
    interval_s: float
    name: str | None = None

    @property
    def feed_id(self) -> str:
        """Stable id of the feed in Redis keys (a hash: the URL may hold secrets)."""
        return feed_id(self.url)

    @property
    def display_url(self) -> str:
        return redact_credentials(self.url)


def feed_id(url: str) -> str:
    return hashlib.sha256(url.encode()).hexdigest()[:20]


# --- loading ----------------------------------------------------------------


def load_feeds(
    path: Path | str,
    *,
    default_interval_s: float,
    env: Mapping[str, str] | None = None,
    addresses: AddressPolicy | None = None,
) -> list[FeedSource]:
    """Read and validate the feeds file; raise ``FeedConfigError`` on any problem."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = getattr(exc, "strerror", None) or exc
        raise FeedConfigError([f"{path}: cannot read: {reason}"]) from None
    return parse_feeds(
        text, source=str(path), default_interval_s=default_interval_s, env=env or {},
        addresses=addresses,
    )


def parse_feeds(
    text: str,
    *,
    source: str = "<feeds>",
    default_interval_s: float,
    env: Mapping[str, str] | None = None,
    addresses: AddressPolicy | None = None,
) -> list[FeedSource]:
    env = env or {}
    try:
        root, data = parse_yaml(text, source)
    except YamlSyntaxError as exc:
        raise FeedConfigError([str(exc)]) from None

    items = data.get("feeds") if isinstance(data, dict) else None
    if not isinstance(items, list):
        raise FeedConfigError([f"{source}: expected a top-level 'feeds:' list"])
    if isinstance(data, dict):
        extra = [k for k in data if k != "feeds"]
        if extra:
            line = line_of(root, [str(extra[0])])
            raise FeedConfigError(
                [f"{source} (line {line}): {extra[0]} is not a known top-level key (only feeds)"]
            )

    problems: list[str] = []
    feeds: list[FeedSource] = []
    first_line_of: dict[str, int | None] = {}
    for index, item in enumerate(items):

        def report(field: str | None, message: str, index: int = index) -> None:
            loc: list[str | int] = ["feeds", index] + ([field] if field else [])
            line = line_of(root, loc)
            where = f" (line {line})" if line else ""
            subject = f"{field} {message}" if field else message
            problems.append(f"{source}: feed #{index + 1}{where}: {subject}")

        feed = _validate_one(item, env, default_interval_s, addresses, report)
        if feed is None:
            continue
        if feed.url in first_line_of:
            report("url", f"is a duplicate (first used at line {first_line_of[feed.url]})")
            continue
        first_line_of[feed.url] = line_of(root, ["feeds", index])
        feeds.append(feed)

    if problems:
        raise FeedConfigError(problems)
    return feeds


def _validate_one(
    item: Any,
    env: Mapping[str, str],
    default_interval_s: float,
    addresses: AddressPolicy | None,
    report: Any,
) -> FeedSource | None:
    if not isinstance(item, dict):
        report(None, "must be a mapping with url (and optionally name, interval_s)")
        return None
    ok = True
    for key in item:
        if key not in FIELDS:
            report(str(key), f"is not a known field (allowed: {', '.join(FIELDS)})")
            ok = False

    url = item.get("url")
    if url is None:
        report("url", "is required")
        ok = False
    elif not isinstance(url, str):
        report("url", "must be a string")
        ok = False
    else:
        url = _expand(url, env, "url", report)
        if url is None:
            ok = False
        elif not is_http_url(url):
            # The value is not echoed: a URL can carry a token.
            report("url", "must be an http(s) URL with a host")
            ok = False
        elif addresses is not None and (refusal := addresses.literal_refusal(url)):
            report("url", refusal)
            ok = False

    name = item.get("name")
    if name is not None:
        if not isinstance(name, str) or not name.strip():
            report("name", "must be a non-empty string")
            ok = False
        else:
            name = _expand(name, env, "name", report)
            if name is None:
                ok = False
            else:
                name = name.strip()

    interval = item.get("interval_s", default_interval_s)
    if isinstance(interval, bool) or not isinstance(interval, int | float):
        report("interval_s", "must be a number of seconds")
        ok = False
    elif not math.isfinite(interval) or interval < MIN_INTERVAL_S:
        report("interval_s", f"must be at least {MIN_INTERVAL_S:g} seconds")
        ok = False

    if not ok:
        return None
    return FeedSource(url=url, name=name or None, interval_s=float(interval))


def _expand(value: str, env: Mapping[str, str], field: str, report: Any) -> str | None:
    result, missing = expand_env(value, env)
    for var in missing:
        report(field, f"refers to environment variable {var}, which is not set")
    return None if missing else result
