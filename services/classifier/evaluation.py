"""Score the classifier against labeled items (JSON lines with ``labels``).

Pure computation over (item, expected labels, classification) triples; the
CLI reads the file and prints the report.
"""

from __future__ import annotations

import json
import math
import random
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from watchfloor.services.classifier.protocol import TagClassifier
from watchfloor.shared.json_input import JSONTooDeep, loads
from watchfloor.shared.schemas import Classification
from watchfloor.shared.text_files import read_utf8

THRESHOLDS = (0.5, 0.6, 0.7, 0.8, 0.85, 0.9)
BOOTSTRAP_SAMPLES = 1000
BOOTSTRAP_SEED = 7


def wilson_interval(successes: int, trials: int, z: float = 1.96) -> tuple[float, float]:
    """95 % interval of a proportion; sound for small counts, unlike p ± 2·se."""
    if trials == 0:
        return (0.0, 1.0)
    p = successes / trials
    denominator = 1 + z * z / trials
    centre = (p + z * z / (2 * trials)) / denominator
    half = z * math.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials)) / denominator
    return (max(0.0, centre - half), min(1.0, centre + half))


@dataclass(frozen=True)
class LabeledItem:
    id: str
    title: str
    text: str
    labels: frozenset[str]
    # drawn at random from a pool (the natural stream), not keyword-enriched
    random_stream: bool = False


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
    def observed(self) -> bool:
        """Labelled or emitted at least once: a tag with neither has no score
        to give (a small labelled file names few of the taxonomy's tags)."""
        return bool(self.true_positives + self.false_positives + self.false_negatives)

    @property
    def predicted(self) -> int:
        return self.true_positives + self.false_positives

    @property
    def precision(self) -> float:
        """1.0 when nothing was emitted (for F1); shown as none (``predicted``)."""
        return self.true_positives / self.predicted if self.predicted else 1.0

    @property
    def recall(self) -> float:
        return self.true_positives / self.support if self.support else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    @property
    def precision_interval(self) -> tuple[float, float]:
        return wilson_interval(self.true_positives, self.true_positives + self.false_positives)

    @property
    def recall_interval(self) -> tuple[float, float]:
        return wilson_interval(self.true_positives, self.support)


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
    # tag -> 95 % bootstrap interval of its F1 (items resampled), and "macro"
    f1_intervals: dict[str, tuple[float, float]] = field(default_factory=dict)
    # every tag emitted or expected on random-stream items, pooled
    random_stream: TagScore | None = None
    random_stream_items: int = 0
    # as at_confidence, on random-stream items only: what a watchlist's
    # min_confidence gives on a natural feed
    stream_at_confidence: dict[float, tuple[int, int, int]] = field(default_factory=dict)

    @property
    def macro_f1(self) -> float | None:
        """Over the tags labelled or emitted (``TagScore.observed``): one with
        neither would count as a perfect 1.0 and lift the mean. None when no
        tag is either (negatives only, none emitted: nothing to score)."""
        observed = [s.f1 for s in self.scores.values() if s.observed]
        return sum(observed) / len(observed) if observed else None

    def to_dict(self) -> dict:
        return {
            "classifier_version": self.classifier_version,
            "items": self.items,
            "macro_f1": None if self.macro_f1 is None else round(self.macro_f1, 4),
            "tags": {
                tag: {
                    # null for a tag neither labelled nor emitted (no score)
                    # none emitted: no precision (it read 1.0)
                    "precision": round(s.precision, 4) if s.predicted else None,
                    "recall": round(s.recall, 4) if s.support else None,  # none labelled
                    "f1": round(s.f1, 4) if s.observed else None,
                    "support": s.support,
                    "tp": s.true_positives,
                    "fp": s.false_positives,
                    "fn": s.false_negatives,
                    "precision_95": _rounded(s.precision_interval),
                    "recall_95": _rounded(s.recall_interval),
                    "f1_95": _rounded(self.f1_intervals.get(tag)),
                }
                for tag, s in sorted(self.scores.items())
            },
            "macro_f1_95": _rounded(self.f1_intervals.get("macro")),
            "random_stream": None if self.random_stream is None else {
                "items": self.random_stream_items,
                "tags_emitted": self.random_stream.true_positives + self.random_stream.false_positives,
                "precision": (round(self.random_stream.precision, 4)
                              if self.random_stream.predicted else None),
                "precision_95": _rounded(self.random_stream.precision_interval),
                "recall": round(self.random_stream.recall, 4),
                "recall_95": _rounded(self.random_stream.recall_interval),
            },
            "precision_at_confidence": _at_confidence(self.at_confidence),
            "random_stream_precision_at_confidence": _at_confidence(self.stream_at_confidence),
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


def _rounded(pair: tuple[float, float] | None) -> list[float] | None:
    return None if pair is None else [round(pair[0], 4), round(pair[1], 4)]


def read_labeled(path: Path, known_tags: Collection[str] | None = None) -> list[LabeledItem]:
    """Items with ``labels`` (a list, may be empty). A file with no item, or
    where no line has ``labels``, is refused: scoring it would report numbers
    that mean nothing; so is a label not in ``known_tags`` (a typo would be
    scored as a tag of its own)."""
    items = []
    with_labels = 0
    unlabelled: list[int] = []
    for number, line in enumerate(read_utf8(path).removeprefix("\ufeff").split("\n"), start=1):
        if not line.strip():
            continue
        try:
            row = loads(line)
            labels = row.get("labels")
            if labels is not None and not isinstance(labels, list):
                raise TypeError(f"labels must be a list of tag ids, got {type(labels).__name__}")
            for field in ("title", "text"):
                if not isinstance(row.get(field) or "", str):
                    raise TypeError(f"{field} must be a string, got "
                                    f"{type(row[field]).__name__}")
            title, text = row.get("title") or "", row.get("text") or ""
            if not title.strip() and not text.strip():
                # a file of `watchfloor label` holds ids only: scored
                # on nothing, every label read as a miss
                raise TypeError("missing or empty 'title' and 'text': nothing to classify "
                                "(a labels file of ids is scored with --corpus)")
            if labels is None:
                unlabelled.append(number)
            with_labels += labels is not None
            items.append(
                LabeledItem(
                    id=str(row.get("id", number)),
                    title=title,
                    text=text,
                    labels=frozenset(labels or ()),
                )
            )
        except (json.JSONDecodeError, JSONTooDeep, AttributeError, TypeError) as exc:
            raise ValueError(f"{path}:{number}: not a labeled item: {exc}") from exc
        if known_tags is not None and (unknown := items[-1].labels - set(known_tags)):
            names = ", ".join(repr(t) for t in sorted(unknown, key=str))
            raise ValueError(f"{path}:{number}: unknown tag {names} "
                             f"(known tags: {', '.join(sorted(known_tags))})")
    if not items:
        raise ValueError(f"{path}: no labelled items")
    if not with_labels:
        raise ValueError(
            f"{path}: no item has a 'labels' field (a list of tag ids, [] for none): "
            "nothing to score against"
        )
    if unlabelled:
        # scored as "no tag", each would count the classifier's tags as wrong
        shown = ", ".join(map(str, unlabelled[:5])) + (", ..." if len(unlabelled) > 5 else "")
        raise ValueError(f"{path}: {len(unlabelled)} item(s) without a 'labels' field "
                         f"(lines {shown}): give each its labels, [] for none")
    return items


def _at_confidence(counts: dict[float, tuple[int, int, int]]) -> list[dict]:
    return [
        {
            "threshold": t,
            "predicted": n,
            "correct": ok,
            "precision": round(ok / n, 4) if n else None,
            "recall": round(ok / positives, 4) if positives else None,
        }
        for t, (n, ok, positives) in sorted(counts.items())
    ]


def _count_at_confidence(counts: dict[float, list[int]], labels: frozenset[str],
                         classification: Classification) -> None:
    for threshold, row in counts.items():
        row[2] += len(labels)
        for match in classification.tags:
            if match.confidence >= threshold:
                row[0] += 1
                row[1] += match.tag in labels


def evaluate(
    classifier: TagClassifier, items: Iterable[LabeledItem], tag_ids: Sequence[str]
) -> EvalReport:
    results = [(item, classifier.classify(item.title, item.text)) for item in items]
    tags = set(tag_ids)
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
        _count_at_confidence(at_confidence, item.labels, classification)
        if got != set(item.labels):
            mistakes.append(Mistake(item, classification))
    random_stream = TagScore("random_stream")
    random_items = 0
    stream_at_confidence = {t: [0, 0, 0] for t in THRESHOLDS}
    for item, classification in results:
        if item.random_stream:
            random_items += 1
            _count_at_confidence(stream_at_confidence, item.labels, classification)
            got = set(classification.tag_ids)
            random_stream.true_positives += len(got & item.labels)
            random_stream.false_positives += len(got - item.labels)
            random_stream.false_negatives += len(item.labels - got)
    return EvalReport(
        scores=scores,
        at_confidence={t: tuple(c) for t, c in at_confidence.items()},
        mistakes=mistakes,
        items=len(results),
        classifier_version=classifier.version,
        f1_intervals=bootstrap_f1([(item.labels, set(c.tag_ids)) for item, c in results],
                                  sorted(tags)),
        random_stream=random_stream if random_items else None,
        random_stream_items=random_items,
        stream_at_confidence=(
            {t: tuple(c) for t, c in stream_at_confidence.items()} if random_items else {}),
    )


def bootstrap_f1(
    outcomes: Sequence[tuple[frozenset[str], set[str]]], tags: Sequence[str]
) -> dict[str, tuple[float, float]]:
    """95 % intervals of each tag's F1 and of the macro-F1: items resampled
    with replacement, a fixed seed so the report is reproducible."""
    if not outcomes:
        return {}
    rng = random.Random(BOOTSTRAP_SEED)
    samples: dict[str, list[float]] = {tag: [] for tag in [*tags, "macro"]}
    n = len(outcomes)
    for _ in range(BOOTSTRAP_SAMPLES):
        counts = {tag: [0, 0, 0] for tag in tags}
        for _ in range(n):
            expected, got = outcomes[rng.randrange(n)]
            for tag in got | expected:
                if tag in counts:
                    c = counts[tag]
                    if tag in got and tag in expected:
                        c[0] += 1
                    elif tag in got:
                        c[1] += 1
                    else:
                        c[2] += 1
        f1s = []
        for tag, (tp, fp, fn) in counts.items():
            if not tp + fp + fn:  # unobserved in this sample: no F1 (as macro_f1)
                continue
            f1 = 2 * tp / (2 * tp + fp + fn)
            samples[tag].append(f1)
            f1s.append(f1)
        if f1s:
            samples["macro"].append(sum(f1s) / len(f1s))
    out = {}
    for tag, values in samples.items():
        if not values:
            continue
        values.sort()
        out[tag] = (values[int(0.025 * len(values))], values[int(0.975 * len(values)) - 1])
    return out
