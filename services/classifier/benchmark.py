"""Classification speed, one core: ``python -m watchfloor.services.classifier.benchmark POOL.jsonl``.

``measure_classify_rate`` is what ``make bench`` calls.
"""

from __future__ import annotations

import json
import re
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from watchfloor.services.classifier.engine import Classifier
from watchfloor.services.classifier.protocol import TagClassifier


def measure_classify_rate(
    items: Sequence[dict[str, Any]], classifier: Classifier | None = None, repeat: int = 3
) -> dict[str, Any]:
    """Classify ``items`` (dicts with title and text) ``repeat`` times; report the best pass.

    The classifier is built first (taxonomy + gazetteer) and its set-up time is
    reported apart, so the rate is steady-state throughput.
    """
    started = time.perf_counter()
    if classifier is None:
        classifier = _default_classifier()
    setup_s = time.perf_counter() - started
    pairs = [(str(i.get("title") or ""), str(i.get("text") or "")) for i in items]
    best = float("inf")
    tagged = 0
    for _ in range(max(repeat, 1)):
        started = time.perf_counter()
        tagged = sum(1 for title, text in pairs if classifier.classify(title, text).tags)
        best = min(best, time.perf_counter() - started)
    words = sum(len(t.split()) + len(x.split()) for t, x in pairs)
    return {
        "items": len(pairs),
        "tagged": tagged,
        "seconds": round(best, 4),
        "items_per_s": round(len(pairs) / best, 1) if best > 0 else None,
        "mean_words": round(words / len(pairs), 1) if pairs else 0,
        "setup_s": round(setup_s, 3),
        "classifier_version": classifier.version,
    }


def long_articles(
    items: Sequence[dict[str, Any]], words: int = 800, count: int = 500
) -> list[dict[str, str]]:
    """~``words``-word articles made by joining consecutive short items."""
    out: list[dict[str, str]] = []
    index = 0
    while len(out) < count and items:
        parts: list[str] = []
        while sum(len(p.split()) for p in parts) < words:
            item = items[index % len(items)]
            parts.append(f"{item.get('title', '')}. {item.get('text', '')}")
            index += 1
        out.append(
            {"title": str(items[index % len(items)].get("title", "")), "text": " ".join(parts)}
        )
    return out


# Sentence punctuation: without it a whole text is one "sentence" for the rules.
_SENTENCE_MARKS = re.compile(r"[.!?;:]")


def unpunctuated_text(items: Sequence[dict[str, Any]], words: int = 30_000) -> str:
    """``words`` words of the items' texts with their sentence punctuation
    removed (the items repeated as needed): the worst case for work that
    grows with a sentence's length."""
    found: list[str] = []
    index = 0
    while len(found) < words and items:
        item = items[index % len(items)]
        found += _SENTENCE_MARKS.sub(" ", f"{item.get('title', '')} {item.get('text', '')}").split()
        index += 1
    return " ".join(found[:words])


def longest_text(items: Sequence[dict[str, Any]], chars: int) -> str:
    """The texts of the items that hold a number, joined as they are, up to
    ``chars`` characters (the most ingest takes): the worst case for work that
    grows with the figures and sentences of one article."""
    items = [i for i in items if any(ch.isdigit() for ch in str(i.get("text") or ""))] or items
    parts: list[str] = []
    size = index = 0
    while size < chars and items:
        text = str(items[index % len(items)].get("text") or "")
        parts.append(text)
        size += len(text) + 2
        index += 1
    return "\n\n".join(parts)[:chars]


def seconds_to_classify(classifier: TagClassifier, title: str, text: str) -> float:
    started = time.perf_counter()
    classifier.classify(title, text)
    return time.perf_counter() - started


def _default_classifier() -> Classifier:
    try:
        return Classifier.from_files()
    except (ImportError, OSError, ValueError):  # no gazetteer in this build: tags and figures
        return Classifier.from_files(with_gazetteer=False)


def main(argv: list[str]) -> int:
    if not argv:
        print("usage: python -m watchfloor.services.classifier.benchmark POOL.jsonl", file=sys.stderr)
        return 2
    path = Path(argv[0])
    if not path.is_file():
        print(f"file not found: {path}", file=sys.stderr)
        return 2
    items = [
        json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()
    ]
    classifier = _default_classifier()
    short = measure_classify_rate(items, classifier)
    print(
        f"pool: {short['items']} items (~{short['mean_words']} words): {short['items_per_s']} items/s"
    )
    long = measure_classify_rate(long_articles(items), classifier)
    print(
        f"long: {long['items']} articles (~{long['mean_words']} words): {long['items_per_s']} articles/s"
    )
    print(json.dumps({"pool": short, "long": long}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
