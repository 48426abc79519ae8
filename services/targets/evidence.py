"""The sentences an alert shows as its evidence: each tag's, not only the
strongest one's ("visits Baku" and "drills near Iran" alerted together,
and only the drill's sentence was quoted, so nothing backed the visit)."""

from __future__ import annotations

from dataclasses import dataclass

from watchfloor.shared.schemas import Alert

MAX_SENTENCES = 3  # a message stays short: the strongest tags' sentences


@dataclass(frozen=True)
class Evidence:
    tags: tuple[str, ...]  # the tags this sentence shows, strongest first
    sentence: str  # on one line


def evidence_of(alert: Alert) -> list[Evidence]:
    """Each distinct sentence with the tags it shows, strongest tag first,
    at most ``MAX_SENTENCES``."""
    by_sentence: dict[str, list[str]] = {}
    for tag in sorted(alert.tags, key=lambda t: -t.confidence):
        sentence = " ".join(tag.evidence.split())
        if sentence:
            by_sentence.setdefault(sentence, []).append(tag.tag)
    return [Evidence(tuple(tags), sentence)
            for sentence, tags in list(by_sentence.items())[:MAX_SENTENCES]]
