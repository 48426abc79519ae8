"""What the pipeline owes, worked out offline with the project's own code:
the articles as ingest prepares them, classified as ``watchfloor classify``
does, matched against the same watchlists, fanned out to the same targets.
The result is the set of webhook-ids (delivery ids) that must arrive."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from watchfloor.services.classifier.protocol import TagClassifier
from watchfloor.services.ingest.identity import content_hash
from watchfloor.services.ingest.prepare import prepare_article
from watchfloor.services.notifier.delivery import fan_out
from watchfloor.services.notifier.matching import WatchlistMatcher
from watchfloor.services.watchlists.model import Watchlist
from watchfloor.shared.schemas import Article, ClassifiedArticle


def distinct_by_content(raw_articles: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """The input without articles ingest would take as content duplicates of an
    earlier one (same title and text once normalised): each is then owed on its own."""
    seen: set[str] = set()
    out: list[dict[str, Any]] = []
    for raw in raw_articles:
        article = prepare_article(raw)
        digest = content_hash(article.title, article.text, article.published_at)
        if digest not in seen:
            seen.add(digest)
            out.append(raw)
    return out


def owed_deliveries(articles: Iterable[Article], watchlists: Sequence[Watchlist],
                    classifier: TagClassifier) -> dict[str, str]:
    """webhook-id -> article id, for every delivery these articles must bring."""
    matcher = WatchlistMatcher(watchlists)
    owed: dict[str, str] = {}
    for article in articles:
        event = ClassifiedArticle(article=article, classification=classifier.classify_article(article))
        for delivery in fan_out(matcher.match(event), watchlists, now=0.0):
            owed[delivery.id] = article.id
    return owed
