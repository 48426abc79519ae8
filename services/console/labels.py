"""Officers' judgements of tags, kept as label records for later review.

A judgement is "wrong tag: X" or "missed tag: X" on an article (from an alert
or a story version). It becomes a label record in the form the training
reads (``services/training/corpus.py``, ``labels/GUIDE.md``)::

    {"id", "labels", "annotator", "guide", "date", "sample": "console", "note", ...}

``labels`` is the officer's view of the article's whole tag set: the
classifier's tags with the judgement applied, or the officer's earlier
record for that article with it applied. One record per (article, officer),
in Redis only: nothing here touches the committed corpus. ``export`` gives
them as JSON lines for a reviewer (``GET /labels.jsonl``,
``watchfloor labels export``); ``classifier_tags`` keeps what the classifier
said beside the judged set.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

from redis.exceptions import WatchError
from watchfloor.shared.errors import InvalidInput
from watchfloor.shared.keys import Keys

if TYPE_CHECKING:
    import redis.asyncio as aioredis

SAMPLE = "console"
# The labelling guide in force (services/training/labels/GUIDE.md). Not
# imported: training stands on ingest, which serves this console, so the
# import would be a cycle; a unit test checks it equals training's.
GUIDE_VERSION = "5"


class JudgementError(InvalidInput):
    """A judgement that cannot be stored (unknown tag, nothing to judge)."""


@dataclass(frozen=True)
class Judgement:
    kind: Literal["wrong", "missed"]
    tag: str

    def describe(self) -> str:
        return f"{self.kind} tag {self.tag}"


def check_judgement(kind: str, tag: str, known_tags: Collection[str]) -> Judgement:
    if kind not in ("wrong", "missed"):
        raise JudgementError(f"a judgement is 'wrong' or 'missed', not {kind!r}")
    if tag not in known_tags:
        raise JudgementError(f"unknown tag {tag!r} (known tags: {', '.join(sorted(known_tags))})")
    return Judgement(kind, tag)  # type: ignore[arg-type]


def apply_judgement(labels: Iterable[str], judgement: Judgement) -> list[str]:
    current = set(labels)
    if judgement.kind == "wrong":
        current.discard(judgement.tag)
    else:
        current.add(judgement.tag)
    return sorted(current)


def label_record(article_id: str, labels: Iterable[str], *, annotator: str, when: datetime,
                 notes: list[str], classifier_tags: Iterable[str]) -> dict[str, Any]:
    return {
        "id": article_id,
        "labels": sorted(set(labels)),
        "annotator": annotator,
        "guide": GUIDE_VERSION,
        "date": when.date().isoformat(),
        "sample": SAMPLE,
        "note": "console: " + "; ".join(notes),
        "classifier_tags": sorted(set(classifier_tags)),
    }


def _field(article_id: str, annotator: str) -> str:
    return f"{article_id} {annotator}"


class LabelStore:
    """The records in one Redis hash (``keys.console_labels``)."""

    def __init__(self, redis: aioredis.Redis, keys: Keys) -> None:
        self._redis = redis
        self._key = keys.console_labels

    async def judge(self, article_id: str, annotator: str, judgement: Judgement, *,
                    classifier_tags: Iterable[str], now: datetime) -> dict[str, Any]:
        """Apply the judgement to the officer's record of the article; the record."""
        field = _field(article_id, annotator)
        classifier_tags = sorted(set(classifier_tags))
        async with self._redis.pipeline(transaction=True) as pipe:
            while True:  # optimistic: two judgements at once both count
                try:
                    await pipe.watch(self._key)
                    raw = await pipe.hget(self._key, field)
                    earlier = json.loads(raw) if raw else None
                    base = earlier["labels"] if earlier else classifier_tags
                    notes = _notes(earlier) + [judgement.describe()]
                    record = label_record(
                        article_id, apply_judgement(base, judgement), annotator=annotator,
                        when=now, notes=notes,
                        classifier_tags=earlier["classifier_tags"] if earlier else classifier_tags)
                    pipe.multi()
                    pipe.hset(self._key, field, json.dumps(record))
                    await pipe.execute()
                    return record
                except WatchError:
                    continue

    async def records(self) -> list[dict[str, Any]]:
        records = []
        for raw in (await self._redis.hgetall(self._key)).values():
            try:
                records.append(json.loads(raw))
            except ValueError:
                continue
        return sorted(records, key=lambda r: (r.get("date", ""), r.get("id", ""),
                                              r.get("annotator", "")))

    async def export(self) -> str:
        """Every record as JSON lines."""
        return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in await self.records())


def _notes(record: dict[str, Any] | None) -> list[str]:
    if not record:
        return []
    return [n for n in str(record.get("note", "")).removeprefix("console: ").split("; ") if n]
