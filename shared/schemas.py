"""Message schemas: the only shapes that cross a stream or leave the system.

Each message carries ``schema_version``; a reader rejects versions it does not
know (dead letter) instead of guessing.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

SCHEMA_VERSION = 1
#: Deliveries name their target (schema 2); schema 1 ones are still read.
DELIVERY_SCHEMA_VERSION = 2

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

    The target is named, never copied: secrets and URLs stay out of streams,
    and each attempt goes to the target as it is configured at send time.
    Schema 2 names it by ``target_name``, stable across edits of its URL or
    secret (``services/targets``: a target's ``name``, else ``<type>-<n>``).
    Schema 1 entries, written before targets had names, carry
    ``target_index`` (and ``target_key``, a hash of type and URL); they are
    still read, matched to a target and upgraded to schema 2
    (``services/notifier/directory.py``).

    ``id`` is stable, so a redelivered entry is recognised and sent at most
    once (it is the ``webhook-id`` header).
    """

    schema_version: Literal[1, 2] = DELIVERY_SCHEMA_VERSION
    id: str
    alert: Alert
    target_name: str | None = Field(
        None, description="the target's name in the alert's watchlist (schema 2)"
    )
    target_index: int | None = Field(None, ge=0, description="schema 1: the target's place")
    target_key: str | None = Field(None, description="schema 1: hash of the target's type and URL")
    attempt: int = Field(1, ge=1)
    first_attempt_at: datetime = Field(default_factory=utcnow)

    @model_validator(mode="after")
    def _names_its_target(self) -> Delivery:
        if self.schema_version >= 2 and not self.target_name:
            raise ValueError("a schema 2 delivery needs target_name")
        if self.schema_version == 1 and self.target_index is None:
            raise ValueError("a schema 1 delivery needs target_index")
        return self
