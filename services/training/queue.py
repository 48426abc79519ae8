"""Which unlabelled items to label next: where a label teaches most.

A mix, in a fixed order so two sessions agree: items the model is unsure of
(a tag's probability near its threshold), items where the rules alone and
the verified classifier disagree, and one in ten drawn at random so the
corpus keeps a sample of the natural stream.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from watchfloor.services.classifier.engine import Classifier
from watchfloor.services.classifier.learned import VerifiedClassifier

UNSURE_MARGIN = 0.15
RANDOM_SHARE = 10  # one item in RANDOM_SHARE is random


@dataclass(frozen=True)
class QueuedItem:
    item: dict
    reason: str  # "uncertain", "disagree" or "random"; "second-pass", "third-pass"
    sample: str | None = None  # how the item was first drawn (passes keep it)


def build_queue(
    pool: Iterable[dict],
    labelled: set[str],
    rules: Classifier,
    verified: VerifiedClassifier,
    *,
    size: int,
    seed: int = 20261130,
    progress: Callable[[], None] = lambda: None,
) -> list[QueuedItem]:
    unsure: list[tuple[float, dict]] = []
    disagree: list[dict] = []
    everything: list[dict] = []  # the random share draws from all, unsure ones too
    for raw in pool:
        progress()
        if raw["id"] in labelled:
            continue
        everything.append(raw)
        title, text = raw.get("title", ""), raw.get("text", "")
        features, _, _ = verified.features(title, text)
        scores = verified.model.score(features)
        distance = min(abs(s.probability - t) for s, t in zip(scores, verified.model.thresholds,
                                                              strict=True))
        by_model = {s.tag for s in scores if s.emitted}
        by_rules = set(rules.classify(title, text).tag_ids)
        if distance <= UNSURE_MARGIN:
            unsure.append((distance, raw))
        elif by_model != by_rules:
            disagree.append(raw)
    rng = random.Random(seed)
    unsure.sort(key=lambda pair: (pair[0], pair[1]["id"]))
    rng.shuffle(disagree)
    rng.shuffle(everything)
    sources = {"uncertain": [raw for _, raw in unsure], "disagree": disagree,
               "random": everything}
    queue: list[QueuedItem] = []
    queued: set[str] = set()
    turn = 0
    while len(queue) < size:
        for name in sources:  # drop what an earlier pick already took
            while sources[name] and sources[name][0]["id"] in queued:
                sources[name].pop(0)
        if not any(sources.values()):
            break
        if len(queue) % RANDOM_SHARE == RANDOM_SHARE - 1 and sources["random"]:
            reason = "random"
        else:
            reason = ("uncertain", "disagree")[turn % 2]
            turn += 1
            if not sources[reason]:
                reason = next(r for r in ("uncertain", "disagree", "random") if sources[r])
        raw = sources[reason].pop(0)
        queued.add(raw["id"])
        queue.append(QueuedItem(raw, reason))
    return queue
