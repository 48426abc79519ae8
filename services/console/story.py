"""A story as one thread: every version, what each added, every alert it raised,
and every alert the story throttle held back (never silently dropped).

Pure: ``build_thread`` takes the versions found in the classified stream, the
alerts found in the history and the held-back records
(``notifier.story_throttle.ThrottledAlert``). A version known only from an
alert or a held-back record (its classified entry already trimmed) is still
shown, with what that record says.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from watchfloor.services.console.present import figure_label
from watchfloor.shared.schemas import Actor, Alert, Article, ClassifiedArticle, Figure, TagMatch


class HeldAlert(Protocol):
    """An alert the story throttle held back (``ThrottledAlert``'s fields used here)."""

    alert_id: str
    watchlist_id: str
    story_id: str
    repeat_of: list[str]
    article_id: str
    title: str
    url: str | None
    source: str | None
    published_at: datetime | None
    reason: str
    throttled_at: datetime


@dataclass
class Version:
    article: Article
    tags: list[TagMatch]
    actors: list[Actor]
    figures: list[Figure]
    classified: bool  # False: known only from an alert
    alerts: list[Alert] = field(default_factory=list)
    held: list[HeldAlert] = field(default_factory=list)  # held back by the story throttle
    # other stories' reports of this version's event, held back (alert_on: event)
    also_reported: list[HeldAlert] = field(default_factory=list)
    added_tags: list[str] = field(default_factory=list)
    added_figures: list[str] = field(default_factory=list)
    first: bool = False


def build_thread(versions: Sequence[ClassifiedArticle], alerts: Sequence[Alert],
                 held: Sequence[HeldAlert] = (), *,
                 elsewhere: Sequence[HeldAlert] = ()) -> list[Version]:
    """Versions oldest first; each later one names the tags and figures no
    earlier version had. ``held``: this story's versions held back;
    ``elsewhere``: other stories' reports held back as repeats of an alert of
    this one, shown with the version that alert was raised on."""
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
    for record in held:
        version = by_article.get(record.article_id)
        if version is None:
            article = Article(id=record.article_id, title=record.title, url=record.url,
                              source=record.source, published_at=record.published_at,
                              ingested_at=record.throttled_at)
            version = by_article[record.article_id] = Version(article, [], [], [],
                                                              classified=False)
        if all(h.alert_id != record.alert_id for h in version.held):
            version.held.append(record)
    raised_on = {alert.id: by_article[alert.article.id] for alert in alerts}
    for record in elsewhere:
        repeated = next((raised_on[i] for i in record.repeat_of if i in raised_on), None)
        if repeated is not None and all(h.alert_id != record.alert_id
                                        for h in repeated.also_reported):
            repeated.also_reported.append(record)
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
