"""A story as one thread: every version, what each added, every alert it raised.

Pure: ``build_thread`` takes the versions found in the classified stream and
the alerts found in the history. A version known only from an alert (its
classified entry already trimmed) is still shown, with the alert's tags.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from watchfloor.services.console.present import figure_label
from watchfloor.shared.schemas import Actor, Alert, Article, ClassifiedArticle, Figure, TagMatch


@dataclass
class Version:
    article: Article
    tags: list[TagMatch]
    actors: list[Actor]
    figures: list[Figure]
    classified: bool  # False: known only from an alert
    alerts: list[Alert] = field(default_factory=list)
    added_tags: list[str] = field(default_factory=list)
    added_figures: list[str] = field(default_factory=list)
    first: bool = False


def build_thread(versions: Sequence[ClassifiedArticle], alerts: Sequence[Alert]) -> list[Version]:
    """Versions oldest first; each later one names the tags and figures no
    earlier version had."""
    by_article: dict[str, Version] = {}
    for event in versions:
        c = event.classification
        by_article[event.article.id] = Version(event.article, list(c.tags), list(c.actors),
                                               list(c.figures), classified=True)
    for alert in alerts:
        version = by_article.get(alert.article.id)
        if version is None:
            version = by_article[alert.article.id] = Version(
                alert.article, list(alert.tags), list(alert.actors), list(alert.figures),
                classified=False)
        if all(a.id != alert.id for a in version.alerts):
            version.alerts.append(alert)
    thread = sorted(by_article.values(), key=lambda v: (v.article.ingested_at, v.article.id))
    seen_tags: set[str] = set()
    seen_figures: set[str] = set()
    for index, version in enumerate(thread):
        tags = sorted({t.tag for t in version.tags})
        figures = [figure_label(f) for f in version.figures]
        version.first = index == 0
        if index:
            version.added_tags = [t for t in tags if t not in seen_tags]
            version.added_figures = [f for f in dict.fromkeys(figures) if f not in seen_figures]
        seen_tags.update(tags)
        seen_figures.update(figures)
    return thread
