"""The article as a sender gives it, before normalisation.

Accepted shape (unknown fields are allowed and ignored):

- ``title`` (string, required, non-empty after normalisation): every alert
  quotes a headline, so an article without one cannot be alerted on.
- ``text`` (string, optional, may be empty or null): headline-only items such
  as wire flashes are real news; the classifier then reads the title alone.
- ``url`` (http or https), ``source`` (string), ``published_at`` (ISO 8601
  date-time; a naive time is taken as UTC), ``id`` (the source's own id,
  string or integer; kept as ``Article.source_id``).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from watchfloor.services.ingest.problems import (
    ArticleRejected,
    Problem,
    json_type_name,
    problems_from_validation,
)

# Limits that keep one article from bloating a stream entry; far above real
# news items, so only broken or hostile input hits them.
MAX_TITLE_CHARS = 2_000
MAX_TEXT_CHARS = 500_000
MAX_URL_CHARS = 4_096
MAX_SHORT_CHARS = 500  # source name, source id


class RawArticle(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    title: str = Field(max_length=MAX_TITLE_CHARS)
    text: str | None = Field(None, max_length=MAX_TEXT_CHARS)
    url: str | None = Field(None, max_length=MAX_URL_CHARS)
    source: str | None = Field(None, max_length=MAX_SHORT_CHARS)
    published_at: datetime | None = None
    id: str | None = Field(None, max_length=MAX_SHORT_CHARS)

    @field_validator("id", mode="before")
    @classmethod
    def _id_as_text(cls, value: Any) -> Any:
        # Many feeds number their items; the id is opaque to us, so keep it as text.
        if isinstance(value, int) and not isinstance(value, bool):
            return str(value)
        return value

    @field_validator("published_at", mode="before")
    @classmethod
    def _iso_8601_only(cls, value: Any) -> Any:
        # pydantic would also take unix timestamps and other forms; the
        # contract is ISO 8601, and a clear refusal beats a wrong guess.
        if value is None:
            return value
        if isinstance(value, datetime):
            parsed = value
        elif not isinstance(value, str):
            raise ValueError("must be an ISO 8601 date-time string, e.g. 2024-05-01T09:30:00Z")
        else:
            try:
                # RFC 3339 allows a lower-case "t" and "z"
                parsed = datetime.fromisoformat(value.strip().upper())
            except ValueError:
                raise ValueError(
                    f"is not an ISO 8601 date-time: {value[:40]!r} (e.g. 2024-05-01T09:30:00Z)"
                ) from None
        if not parsed.tzinfo:
            return parsed.replace(tzinfo=UTC)
        try:  # 0001-01-01T00:00+14:00 is a valid date with no UTC year 1 to be in
            return parsed.astimezone(UTC)
        except OverflowError:
            raise ValueError("is outside the dates that can be stored (years 1 to 9999 "
                             "in UTC)") from None


def parse_raw_article(value: Any) -> RawArticle:
    """Validate one decoded JSON value as an input article, or raise ``ArticleRejected``."""
    if not isinstance(value, dict):
        raise ArticleRejected(
            [Problem(None, f"an article must be a JSON object, got {json_type_name(value)}")]
        )
    try:
        return RawArticle.model_validate(value)
    except ValidationError as exc:
        raise ArticleRejected(problems_from_validation(exc)) from None
