"""Score the classifier against labeled items (JSON lines with ``labels``).

Pure computation over (item, expected labels, classification) triples; the
CLI reads the file and prints the report.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from watchfloor.services.classifier.engine import Classifier
from watchfloor.shared.schemas import Classification

THRESHOLDS = (0.5, 0.6, 0.7, 0.8, 0.9)


@dataclass(frozen=True)
class LabeledItem:
    id: str
    title: str
    text: str
    labels: frozenset[str]


@dataclass
class TagScore:
    tag: str
    true_positives: int = 0
    false_positives: int = 0
    false_negatives: int = 0

    @property
    def support(self) -> int:
        return self.true_positives + self.false_negatives

    @property
    def precision(self) -> float:
        predicted = self.true_positives + self.false_positives
        return self.true_positives / predicted if predicted else 1.0

    @property
    def recall(self) -> float:
        return self.true_positives / self.support if self.support else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


@dataclass
class Mistake:
    item: LabeledItem
    classification: Classification

    @property
    def got(self) -> set[str]:
        return set(self.classification.tag_ids)

    @property
    def missed(self) -> set[str]:
        return set(self.item.labels) - self.got

    @property
    def extra(self) -> set[str]:
        return self.got - set(self.item.labels)


@dataclass
class EvalReport:
    scores: dict[str, TagScore]
    # threshold -> (tags predicted at or above it, of which correct, positives in the data)
    at_confidence: dict[float, tuple[int, int, int]]
    mistakes: list[Mistake] = field(default_factory=list)
    items: int = 0
    classifier_version: str = ""

    @property
    def macro_f1(self) -> float:
        return sum(s.f1 for s in self.scores.values()) / len(self.scores) if self.scores else 0.0

    def to_dict(self) -> dict:
        return {
            "classifier_version": self.classifier_version,
            "items": self.items,
            "macro_f1": round(self.macro_f1, 4),
            "tags": {
                tag: {
                    "precision": round(s.precision, 4),
                    "recall": round(s.recall, 4),
                    "f1": round(s.f1, 4),
                    "support": s.support,
                    "tp": s.true_positives,
                    "fp": s.false_positives,
                    "fn": s.false_negatives,
                }
                for tag, s in sorted(self.scores.items())
            },
            "precision_at_confidence": [
                {
                    "threshold": t,
                    "predicted": n,
                    "correct": ok,
                    "precision": round(ok / n, 4) if n else None,
                    "recall": round(ok / positives, 4) if positives else None,
                }
                for t, (n, ok, positives) in sorted(self.at_confidence.items())
            ],
            "mistakes": [
                {
                    "id": m.item.id,
                    "title": m.item.title,
                    "expected": sorted(m.item.labels),
                    "got": sorted(m.got),
                    "evidence": {
                        t.tag: {
                            "sentence": t.evidence,
                            "triggers": [s.text for s in t.triggers],
                            "confidence": t.confidence,
                        }
                        for t in m.classification.tags
                        if t.tag in m.extra
                    },
                }
                for m in self.mistakes
            ],
        }


def read_labeled(path: Path) -> list[LabeledItem]:
    items = []
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
                items.append(
                    LabeledItem(
                        id=str(row.get("id", number)),
                        title=row.get("title") or "",
                        text=row.get("text") or "",
                        labels=frozenset(row.get("labels") or ()),
                    )
                )
            except (json.JSONDecodeError, AttributeError, TypeError) as exc:
                raise ValueError(f"{path}:{number}: not a labeled item: {exc}") from exc
    return items


def evaluate(classifier: Classifier, items: Iterable[LabeledItem]) -> EvalReport:
    results = [(item, classifier.classify(item.title, item.text)) for item in items]
    tags = set(classifier.taxonomy.tag_ids)
    for item, _ in results:
        tags |= item.labels
    scores = {tag: TagScore(tag) for tag in sorted(tags)}
    at_confidence = {t: [0, 0, 0] for t in THRESHOLDS}
    mistakes = []
    for item, classification in results:
        got = set(classification.tag_ids)
        for tag in tags:
            if tag in got and tag in item.labels:
                scores[tag].true_positives += 1
            elif tag in got:
                scores[tag].false_positives += 1
            elif tag in item.labels:
                scores[tag].false_negatives += 1
        for threshold, counts in at_confidence.items():
            counts[2] += len(item.labels)
            for match in classification.tags:
                if match.confidence >= threshold:
                    counts[0] += 1
                    counts[1] += match.tag in item.labels
        if got != set(item.labels):
            mistakes.append(Mistake(item, classification))
    return EvalReport(
        scores=scores,
        at_confidence={t: tuple(c) for t, c in at_confidence.items()},
        mistakes=mistakes,
        items=len(results),
        classifier_version=classifier.version,
    )
