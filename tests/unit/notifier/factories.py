"""Factories for notifier tests: articles, classified events, watchlists.

Example content is invented for these tests.
"""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from typing import Any

from watchfloor.services.watchlists.model import Watchlist
from watchfloor.shared.schemas import (
    Actor,
    Alert,
    Article,
    Classification,
    ClassifiedArticle,
    Figure,
    TagMatch,
)

CLASSIFIED_AT = datetime(2031, 3, 4, 5, 6, 7, tzinfo=UTC)


def make_secret(seed: int = 1) -> str:
    """A valid Standard Webhooks secret (32 bytes of key)."""
    return "whsec_" + base64.b64encode(bytes([seed % 256]) * 32).decode()


def tag(
    tag_id: str = "missile_test",
    confidence: float = 0.9,
    modality: str = "asserted",
    evidence: str = "The coastal battery fired two rockets into the strait on Tuesday.",
) -> TagMatch:
    return TagMatch(tag=tag_id, confidence=confidence, modality=modality, evidence=evidence)


def country(code: str, name: str | None = None) -> Actor:
    return Actor(id=code, name=name or code, kind="country")


def person(pid: str, name: str, country_code: str) -> Actor:
    return Actor(id=pid, name=name, kind="person", country=country_code)


def figure(value: float = 2, kind: str = "missiles", text: str = "two rockets") -> Figure:
    return Figure(kind=kind, value=value, text=text)


def make_event(
    *,
    article_id: str = "art-001",
    title: str = "Coastal battery fires rockets during drill",
    text: str = "The coastal battery fired two rockets into the strait on Tuesday.",
    url: str | None = "https://news.example.test/a/1",
    source: str | None = "Example Wire",
    tags: list[TagMatch] | None = None,
    actors: list[Actor] | None = None,
    figures: list[Figure] | None = None,
) -> ClassifiedArticle:
    return ClassifiedArticle(
        article=Article(
            id=article_id,
            title=title,
            text=text,
            url=url,
            source=source,
            published_at=datetime(2031, 3, 4, 4, 0, tzinfo=UTC),
        ),
        classification=Classification(
            tags=[tag()] if tags is None else tags,
            actors=[country("KP", "North Korea")] if actors is None else actors,
            figures=[] if figures is None else figures,
            classifier_version="test-classifier-1",
        ),
        classified_at=CLASSIFIED_AT,
    )


def make_watchlist(
    wid: str = "wl-test",
    *,
    name: str = "Test watchlist",
    match: dict[str, Any] | None = None,
    targets: list[dict[str, Any]] | None = None,
) -> Watchlist:
    return Watchlist.model_validate(
        {
            "id": wid,
            "name": name,
            "match": match or {},
            "targets": targets
            if targets is not None
            else [
                {"type": "webhook", "url": "https://hooks.example.test/in", "secret": make_secret()}
            ],
        }
    )


def make_alert(**event_kwargs: Any) -> Alert:
    from watchfloor.services.notifier.matching import WatchlistMatcher

    watchlist = make_watchlist()
    (alert,) = WatchlistMatcher([watchlist]).match(make_event(**event_kwargs))
    return alert
