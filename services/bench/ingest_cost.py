"""What ingest spends on one article before Redis, in process: normalising
it (``prepare_article``) and its story signature. ``make bench`` prints it
for the pool's items (a headline and a standfirst, what the pipeline bench
posts) and for ~800-word articles made by joining them, as long as the pages
and full-text feeds ingest also reads."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from watchfloor.services.classifier.benchmark import long_articles
from watchfloor.services.ingest.prepare import prepare_article
from watchfloor.services.ingest.stories import signature


def _raw(item: dict[str, Any], number: int) -> dict[str, Any]:
    title = str(item.get("title") or "").strip() or "Untitled"
    return {"title": title, "text": str(item.get("text") or ""),
            "url": f"https://bench.example.org/cost/{number}", "source": "bench"}


def prepare_and_sign_us(items: Sequence[dict[str, Any]], repeat: int = 3) -> float:
    """Microseconds per item to prepare and sign ``items`` (best of ``repeat``)."""
    raws = [_raw(item, number) for number, item in enumerate(items)]
    if not raws:
        raise ValueError("no items to measure")
    best = float("inf")
    for _ in range(max(repeat, 1)):
        started = time.perf_counter()
        for raw in raws:
            article = prepare_article(raw)
            signature(article.title, article.text)
        best = min(best, time.perf_counter() - started)
    return round(best / len(raws) * 1e6, 1)


def ingest_cost(items: Sequence[dict[str, Any]], long_count: int = 300) -> dict[str, Any]:
    longer = long_articles(items, count=long_count)
    return {
        "items_us": prepare_and_sign_us(items),
        "long_us": prepare_and_sign_us(longer),
        "long_mean_words": round(sum(len(a["text"].split()) for a in longer) / len(longer)),
    }
