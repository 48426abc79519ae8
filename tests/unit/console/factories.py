"""Invented classified articles and alerts for the console's unit tests."""

from __future__ import annotations

from datetime import UTC, datetime

from watchfloor.shared.schemas import (
    Actor,
    Alert,
    Article,
    Classification,
    ClassifiedArticle,
    Figure,
    Span,
    TagMatch,
)

T0 = datetime(2026, 11, 30, 6, 0, tzinfo=UTC)
TITLE = "North Korea fires ballistic missile into the sea"


def tag(name: str = "missile_test", confidence: float = 0.9, modality: str = "asserted") -> TagMatch:
    return TagMatch(
        tag=name, confidence=confidence, modality=modality, evidence=TITLE,
        evidence_span=Span(field="title", start=0, end=len(TITLE), text=TITLE),
        triggers=[Span(field="title", start=12, end=17, text="fires"),
                  Span(field="title", start=28, end=35, text="missile")],
    )


def article(article_id: str = "u-1", *, story_id: str | None = None, title: str = TITLE,
            text: str = "Pyongyang fired a missile on Monday.", at: datetime = T0) -> Article:
    return Article(id=article_id, title=title, text=text, url=f"https://news.example.org/{article_id}",
                   source="Example Wire", published_at=at, ingested_at=at, story_id=story_id)


KP = Actor(id="KP", name="North Korea", kind="country")
IR = Actor(id="IR", name="Iran", kind="country")


def classified(art: Article | None = None, tags: list[TagMatch] | None = None,
               actors: list[Actor] | None = None, figures: list[Figure] | None = None,
               at: datetime = T0) -> ClassifiedArticle:
    return ClassifiedArticle(
        article=art or article(),
        classification=Classification(tags=[tag()] if tags is None else tags,
                                      actors=[KP] if actors is None else actors,
                                      figures=figures or [], classifier_version="t"),
        classified_at=at)


def alert(alert_id: str = "al_1", *, watchlist: str = "missiles", art: Article | None = None,
          tags: list[TagMatch] | None = None, actors: list[Actor] | None = None,
          at: datetime = T0) -> Alert:
    return Alert(id=alert_id, watchlist_id=watchlist, watchlist_name=watchlist.title(),
                 article=art or article(), tags=[tag()] if tags is None else tags,
                 actors=[KP] if actors is None else actors, figures=[], classifier_version="t",
                 created_at=at)
