"""Stable ids: the same story gets the same id however often it arrives.

- ``u-<hash>``: from the canonical URL, when there is one. A page edited
  after publication keeps its id, so the edit is a duplicate, not news.
- ``c-<hash>``: from the normalised title and text, when there is no URL.
- ``content_hash``: title and text only, whatever the URL, so the same story
  re-posted under another URL (syndication, mirrors) is caught too. A
  headline without text, or with a lead of a sentence or two, is too short
  to tell two events apart ("FLASH: North Korea fires ballistic missile"
  runs again next month, word for word): its day of publication, when
  known, is part of its content then.
"""

from __future__ import annotations

import hashlib
from datetime import datetime

# 20 hex chars = 80 bits: a collision needs ~10^12 articles, far beyond the
# dedupe window, while ids stay short enough to read in logs and alerts.
_ID_HEX_CHARS = 20
# Cannot occur in normalised text (control characters are stripped), so
# ("a b", "c") and ("a", "b c") never hash alike.
_SEPARATOR = "\x1f"


def _sha256_hex(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


# A text this short is a flash, sent again word for word for the next event.
SHORT_TEXT_WORDS = 50


def content_hash(title: str, text: str, published_at: datetime | None = None) -> str:
    """Hash of normalised title and text (and, for a headline alone or with
    a short text, the UTC day it was published). Case-folded: a headline
    re-cased by a syndicating site is still the same story."""
    content = f"{title.casefold()}{_SEPARATOR}{text.casefold()}"
    if published_at is not None and len(text.split(None, SHORT_TEXT_WORDS)) < SHORT_TEXT_WORDS:
        content += f"{_SEPARATOR}{published_at.date().isoformat()}"
    return _sha256_hex(content)


def article_id(canonical_url: str | None, title: str, text: str,
               published_at: datetime | None = None) -> str:
    """``u-`` + hash of the canonical URL, else ``c-`` + the content hash.
    A page served over http and https is one page: its id is the https one
    (the URL kept with the article is the one given)."""
    if canonical_url:
        if canonical_url.startswith("http://"):
            canonical_url = "https://" + canonical_url.removeprefix("http://")
        return "u-" + _sha256_hex(canonical_url)[:_ID_HEX_CHARS]
    return "c-" + content_hash(title, text, published_at)[:_ID_HEX_CHARS]
