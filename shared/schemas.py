"""Message schemas: the only shapes that cross a stream or leave the system.

Each message carries ``schema_version``; a reader rejects versions it does not
know (dead letter) instead of guessing.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

SCHEMA_VERSION = 1

Modality = Literal["asserted", "reported", "planned", "denied", "hypothetical"]
ActorKind = Literal["country", "organisation", "person"]
FigureKind = Literal["troops", "missiles", "money", "aircraft", "ships", "casualties", "other"]
TextField = Literal["title", "text"]


def utcnow() -> datetime:
    return datetime.now(UTC)


class _Message(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class Article(_Message):
    """A normalised article, as ingest publishes it."""

    schema_version: Literal[1] = SCHEMA_VERSION
    id: str = Field(min_length=1, description="stable id: canonical URL hash, else content hash")
    title: str
    text: str = ""
    url: str | None = None
    source: str | None = None
    source_id: str | None = Field(None, description="the source's own id for the item")
    published_at: datetime | None = None
    ingested_at: datetime = Field(default_factory=utcnow)
    story_id: str | None = Field(
        None, description="id of the first article of the same story; None = its own story"
    )


class Span(_Message):
    """Characters [start, end) of the article's ``field`` (title or text)."""

    field: TextField
    start: int = Field(ge=0)
    end: int = Field(ge=0)
    text: str


class TagMatch(_Message):
    tag: str
    confidence: float = Field(ge=0.0, le=1.0)
    modality: Modality = "asserted"
    evidence: str = Field(description="the sentence that shows the tag")
    evidence_span: Span | None = None
    triggers: list[Span] = Field(default_factory=list, description="words that fired the rule")


class Actor(_Message):
    id: str = Field(description="ISO 3166 alpha-2 for countries; short id for organisations/people")
    name: str
    kind: ActorKind
    country: str | None = Field(None, description="for people: the country they act for")
    mentions: list[str] = Field(default_factory=list)


class Figure(_Message):
    kind: FigureKind
    value: float = Field(description="best single number (midpoint of a range)")
    low: float | None = None
    high: float | None = None
    unit: str | None = Field(None, description="currency code for money, else None")
    approximate: bool = False
    text: str
    span: Span | None = None


class Classification(_Message):
    tags: list[TagMatch] = Field(default_factory=list)
    actors: list[Actor] = Field(default_factory=list)
    figures: list[Figure] = Field(default_factory=list)
    classifier_version: str

    @property
    def tag_ids(self) -> list[str]:
        return sorted({t.tag for t in self.tags})

    def tag(self, tag_id: str) -> TagMatch | None:
        return next((t for t in self.tags if t.tag == tag_id), None)


class ClassifiedArticle(_Message):
    """What the classifier publishes."""

    schema_version: Literal[1] = SCHEMA_VERSION
    article: Article
    classification: Classification
    classified_at: datetime = Field(default_factory=utcnow)


class Alert(_Message):
    """A watchlist matched an article. ``id`` is stable per (watchlist, article)."""

    schema_version: Literal[1] = SCHEMA_VERSION
    id: str
    watchlist_id: str
    watchlist_name: str
    article: Article
    tags: list[TagMatch]
    actors: list[Actor]
    figures: list[Figure]
    classifier_version: str
    created_at: datetime = Field(default_factory=utcnow)


class Delivery(_Message):
    """One alert to send to one target of its watchlist.

    The target is named by index, never copied: secrets stay out of streams.
    ``id`` is stable, so a redelivered entry is recognised and sent at most
    once (it is the ``webhook-id`` header).
    """

    schema_version: Literal[1] = SCHEMA_VERSION
    id: str
    alert: Alert
    target_index: int = Field(ge=0)
    target_key: str | None = Field(
        None, description="hash of the target's type and URL: finds it again if targets move"
    )
    attempt: int = Field(1, ge=1)
    first_attempt_at: datetime = Field(default_factory=utcnow)
