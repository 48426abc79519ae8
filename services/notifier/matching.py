"""From a classified article and the watchlists to alerts: a pure function.

Matching rules (every criterion a watchlist gives narrows the match):

- A tag *qualifies* when its confidence is at least ``min_confidence`` and its
  modality is not in ``exclude_modalities`` ("denied", "hypothetical", ...).
- ``tags_any``: at least one of these qualifies; ``tags_all``: all of them do.
  With neither, any qualifying tag will do. An alert always rests on at least
  one qualifying tag, so a watchlist never fires on an untagged article.
- ``actors_any`` / ``actors_all``: ISO codes or short ids, compared without
  case; a person also counts for the country they act for. With
  ``actors_scope: event`` only the actors named where a tag's event is told
  count for that tag (``event_actors``): the headline and its evidence
  sentence, not a mention further down.
- ``keywords_any``: one of the words or phrases appears in title or text as
  whole words (in scripts written without spaces, anywhere), without case
  (casefolded: "STRASSE" finds "Straße"), normalised as articles are.
- ``min_figures``: the article reports at least that many figures.

The alert carries only the tags that matched, with their evidence.
"""

from __future__ import annotations

import functools
import hashlib
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from watchfloor.services.notifier.event_actors import event_actors
from watchfloor.services.watchlists.model import MatchRule, Watchlist
from watchfloor.shared.schemas import Actor, Alert, ClassifiedArticle, TagMatch
from watchfloor.shared.text_cleaning import normalise_line


def alert_id(watchlist_id: str, article_id: str) -> str:
    """Stable: the same article never raises two alerts for one watchlist."""
    digest = hashlib.sha256(f"{watchlist_id}\x1f{article_id}".encode()).hexdigest()
    return f"al_{digest[:24]}"


# Scripts written without spaces between words: a keyword there has no word
# boundary to wait for. (Korean is written with spaces: its keywords match
# whole words, as Latin ones do; "김" must not fire inside "김치".)
_SPACELESS = re.compile("[\u0e00-\u0eff\u1000-\u109f\u1780-\u17ff\u3040-\u30ff"
                        "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


def fold(text: str) -> str:
    """Casefolded ("STRASSE" finds "Straße"), with the dot casefolding adds
    to a capital dotted I dropped: "Istanbul" must still find "İstanbul"."""
    return text.casefold().replace("i\u0307", "i")


def comparable_keyword(keyword: str) -> str:
    """A keyword as it is compared: normalised as ingest normalises articles
    (NFC, no invisible characters: a pasted soft hyphen or a decomposed "ğ"
    would never match), then folded."""
    return fold(normalise_line(keyword))


def _keyword_pattern(keywords: Sequence[str]) -> re.Pattern[str] | None:
    if not keywords:
        return None
    # Whole words: "Kim" must not fire inside "Kimchi", but must on "Kim,".
    # Inner whitespace of a phrase matches any run of whitespace (line breaks).
    alternatives = []
    for keyword in keywords:
        kw = comparable_keyword(keyword)
        if not kw:
            continue
        body = r"\s+".join(re.escape(w) for w in kw.split())
        before = "" if _SPACELESS.match(kw[0]) else r"(?<!\w)"
        after = "" if _SPACELESS.match(kw[-1]) else r"(?!\w)"
        alternatives.append(before + body + after)
    return re.compile("|".join(alternatives)) if alternatives else None


def _folded_text(event: ClassifiedArticle) -> str:
    return fold(f"{event.article.title}\n{event.article.text}")


def actor_ids(actors: Sequence[Actor]) -> set[str]:
    """Casefolded ids; a person also counts as the country they act for."""
    ids = {a.id.casefold() for a in actors}
    ids |= {a.country.casefold() for a in actors if a.kind == "person" and a.country}
    return ids


@dataclass(frozen=True)
class _CompiledRule:
    """A MatchRule prepared once, so matching an article is cheap."""

    rule: MatchRule
    tags_any: frozenset[str]
    tags_all: frozenset[str]
    actors_any: frozenset[str]
    actors_all: frozenset[str]
    keywords: re.Pattern[str] | None

    @classmethod
    def build(cls, rule: MatchRule) -> _CompiledRule:
        return cls(
            rule=rule,
            tags_any=frozenset(rule.tags_any),
            tags_all=frozenset(rule.tags_all),
            actors_any=frozenset(a.casefold() for a in rule.actors_any),
            actors_all=frozenset(a.casefold() for a in rule.actors_all),
            keywords=_keyword_pattern(rule.keywords_any),
        )

    def matched_tags(self, event: ClassifiedArticle,
                     folded: Callable[[], str] | None = None) -> list[TagMatch]:
        """The tags that make this rule match, or [] when it does not."""
        rule = self.rule
        qualifying = [
            t
            for t in event.classification.tags
            if t.confidence >= rule.min_confidence and t.modality not in rule.exclude_modalities
        ]
        by_event = rule.actors_scope == "event" and (self.actors_any or self.actors_all)
        if by_event:
            # each tag on the actors of its own event
            qualifying = [t for t in qualifying if self._actors_match(
                event_actors(event.classification.actors, event.article.title, t))]
        qualifying_ids = {t.tag for t in qualifying}
        if self.tags_any and not (self.tags_any & qualifying_ids):
            return []
        if not self.tags_all <= qualifying_ids:
            return []
        named = self.tags_any | self.tags_all
        matched = [t for t in qualifying if t.tag in named] if named else qualifying
        if not matched:
            return []

        if not by_event and not self._actors_match(event.classification.actors):
            return []
        if rule.min_figures is not None and len(event.classification.figures) < rule.min_figures:
            return []
        if self.keywords is not None:
            text = folded() if folded is not None else _folded_text(event)
            if not self.keywords.search(text):
                return []
        return matched


    def _actors_match(self, actors: Sequence[Actor]) -> bool:
        ids = actor_ids(actors)
        return (not self.actors_any or bool(self.actors_any & ids)) and self.actors_all <= ids


class WatchlistMatcher:
    """``match(event)`` gives one alert per watchlist the article matches."""

    def __init__(self, watchlists: Sequence[Watchlist]) -> None:
        self._rules = [(w, _CompiledRule.build(w.match)) for w in watchlists]

    def match(self, event: ClassifiedArticle, *, now: datetime | None = None) -> list[Alert]:
        """Pure: ``created_at`` is ``now`` when given, else when it was classified."""
        # folded once per article, when a rule with keywords first needs it
        folded = functools.cache(lambda: _folded_text(event))
        created_at = now or event.classified_at
        alerts: list[Alert] = []
        for watchlist, rule in self._rules:
            tags = rule.matched_tags(event, folded)
            if not tags:
                continue
            alerts.append(
                Alert(
                    id=alert_id(watchlist.id, event.article.id),
                    watchlist_id=watchlist.id,
                    watchlist_name=watchlist.name,
                    article=event.article,
                    tags=tags,
                    actors=list(event.classification.actors),
                    figures=list(event.classification.figures),
                    classifier_version=event.classification.classifier_version,
                    created_at=created_at,
                )
            )
        return alerts
