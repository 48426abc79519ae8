"""From one decoded JSON value to a normalised ``Article`` with its stable id.

The one path every source goes through (files, HTTP, feeds), so an article
is judged and identified the same way however it arrives.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from watchfloor.services.ingest.identity import article_id
from watchfloor.services.ingest.normalise import (
    InvalidURL,
    as_utc,
    canonical_url,
    normalise_line,
    normalise_optional,
    normalise_text,
)
from watchfloor.services.ingest.problems import ArticleRejected, Problem
from watchfloor.services.ingest.raw import RawArticle, parse_raw_article
from watchfloor.shared.schemas import Article, utcnow


def article_from_raw(raw: RawArticle, *, now: datetime | None = None) -> Article:
    """Normalise and identify a validated input article, or raise ``ArticleRejected``."""
    problems: list[Problem] = []
    title = normalise_line(raw.title)
    if not title:
        problems.append(Problem("title", "is empty (after removing whitespace and markup)"))
    url = None
    if raw.url is not None and raw.url.strip():
        try:
            url = canonical_url(raw.url)
        except InvalidURL as exc:
            problems.append(Problem("url", str(exc)))
    if problems:
        raise ArticleRejected(problems)

    text = normalise_text(raw.text)
    published_at = as_utc(raw.published_at)
    return Article(
        id=article_id(url, title, text, published_at),
        title=title,
        text=text,
        url=url,
        source=normalise_optional(raw.source),
        source_id=normalise_optional(raw.id),
        published_at=published_at,
        ingested_at=now or utcnow(),
    )


def prepare_article(value: Any, *, now: datetime | None = None) -> Article:
    """Validate, normalise and identify one input article (a decoded JSON value).

    Raises ``ArticleRejected`` naming every problem found.
    """
    return article_from_raw(parse_raw_article(value), now=now)
