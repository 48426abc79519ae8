"""The feed's filters: which alerts an officer asked to see (a pure predicate).

Filters come from the query string, so a filtered feed is a link that can be
bookmarked or shared, and the live stream (``/events``) takes the same ones.
A tag-level filter (tag, modality, minimum confidence) asks for one tag of
the alert meeting all three.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Literal, get_args
from urllib.parse import urlencode

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from watchfloor.shared.schemas import Alert, Modality

Within = Literal["", "1h", "6h", "24h", "7d", "30d"]
WITHIN_CHOICES: dict[str, str] = {
    "": "any time", "1h": "last hour", "6h": "last 6 hours", "24h": "last 24 hours",
    "7d": "last 7 days", "30d": "last 30 days",
}
_SPANS = {"1h": timedelta(hours=1), "6h": timedelta(hours=6), "24h": timedelta(hours=24),
          "7d": timedelta(days=7), "30d": timedelta(days=30)}
MODALITIES: tuple[str, ...] = get_args(Modality)


class AlertFilter(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore", str_strip_whitespace=True)

    watchlist: str = ""
    tag: str = ""
    actor: str = ""
    modality: Literal["", "asserted", "reported", "planned", "denied", "hypothetical"] = ""
    min_confidence: float | None = Field(None, ge=0, le=1)
    within: Within = ""
    q: str = Field("", max_length=200)

    @field_validator("min_confidence", mode="before")
    @classmethod
    def _blank_is_none(cls, value: object) -> object:
        return None if value == "" else value

    @property
    def active(self) -> bool:
        return self != AlertFilter()

    def since(self, now: datetime) -> datetime | None:
        return now - _SPANS[self.within] if self.within else None

    def matches(self, alert: Alert, now: datetime) -> bool:
        if self.watchlist and alert.watchlist_id != self.watchlist:
            return False
        since = self.since(now)
        if since is not None and alert.created_at < since:
            return False
        if (self.tag or self.modality or self.min_confidence is not None) and not any(
            (not self.tag or t.tag == self.tag)
            and (not self.modality or t.modality == self.modality)
            and (self.min_confidence is None or t.confidence >= self.min_confidence)
            for t in alert.tags
        ):
            return False
        # "KP, Iran": any of them, as the field's example shows
        wanted = [w.strip() for w in self.actor.split(",") if w.strip()]
        if wanted and not any(_has_actor(alert, w) for w in wanted):
            return False
        return not self.q or self.q.casefold() in _searchable(alert)

    def query(self, **extra: str) -> str:
        """The filters (and ``extra``) as a query string, blanks left out."""
        values = self.model_dump(exclude_defaults=True)
        values.update({k: v for k, v in extra.items() if v})
        return urlencode(values)


def _has_actor(alert: Alert, wanted: str) -> bool:
    wanted = wanted.casefold()
    for actor in alert.actors:
        if wanted in (actor.id.casefold(), (actor.country or "").casefold()):
            return True
        if len(wanted) > 2 and wanted in actor.name.casefold():
            return True
    return False


def _searchable(alert: Alert) -> str:
    article = alert.article
    parts = [article.title, article.text, article.source or "", alert.watchlist_name,
             *(t.evidence for t in alert.tags), *(a.name for a in alert.actors)]
    return "\n".join(parts).casefold()


def parse_filter(params: Mapping[str, str]) -> tuple[AlertFilter, dict[str, str]]:
    """The filter from query parameters, and a problem per bad field (that
    field is then left out, never guessed)."""
    raw = {name: params.get(name, "") for name in AlertFilter.model_fields}
    try:
        return AlertFilter.model_validate(raw), {}
    except ValidationError as exc:
        problems = {str(err["loc"][0]): _problem(str(err["loc"][0])) for err in exc.errors()}
        kept = {k: v for k, v in raw.items() if k not in problems}
        return AlertFilter.model_validate(kept), problems


# how the feed's form names each filter (the problems line uses them)
FILTER_LABELS = {"watchlist": "watchlist", "tag": "tag", "actor": "actor",
                 "modality": "modality", "min_confidence": "min. confidence",
                 "within": "time", "q": "text"}


def _problem(field: str) -> str:
    return {
        "min_confidence": "must be a number from 0 to 1",
        "modality": f"must be one of {', '.join(MODALITIES)}",
        "within": "must be one of the listed time ranges",
        "q": "at most 200 characters",
    }.get(field, "is not valid")
