"""What ``alert_on: event`` changes on real news, and whether what it holds
back is the same event.

    python -m watchfloor.services.bench.event_groups                  # counts
    python -m watchfloor.services.bench.event_groups --sample 120 --out pairs.jsonl
    python -m watchfloor.services.bench.event_groups --judged services/training/labels/event_pairs.jsonl

``news_pool_ext.jsonl`` in ``../shared/data`` (its items have publication
times and ten outlets) is grouped into stories by the story index's own rule
(``bench.stories``), classified with the packaged classifier, and matched
against one watchlist per country or organisation the tagged items name (any
tag, ``actors_any: [it]``), each alert raised at its article's publication
time. The throttle's own decisions (``ThrottleReplay``) are taken with
``alert_on: story`` and with ``alert_on: event`` for several event windows:
the alerts each sends.

``--sample N`` writes N of the article pairs that only the event rule holds
back, each the held article and the first alert it repeats a tag of, with
the tags they share, for annotators to judge blind with
``services/training/labels/EVENT_PAIRS.md`` (``same`` occurrence, a
``different`` one, or ``no_event`` in the held article). ``--judged FILE``
gives the share of each verdict for each window (pairs sampled with the
longest window, counted for a window when their gap fits it): ``different``
is what the rule loses.
"""

from __future__ import annotations

import json
import random
import sys
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from watchfloor.services.bench.judging import (
    judging_arguments,
    majority_vote,
    read_judgements,
    share,
    write_tasks,
)
from watchfloor.services.bench.stories import read_pool, replay
from watchfloor.services.notifier.matching import WatchlistMatcher
from watchfloor.services.notifier.throttle_rules import (
    DEFAULT_EVENT_WINDOW_S,
    ThrottleReplay,
    judged,
)
from watchfloor.services.watchlists.model import MatchRule, Watchlist
from watchfloor.shared.schemas import Alert, Article, ClassifiedArticle

POOL = "news_pool_ext.jsonl"
WINDOWS_H = (3, 6, 12, 24)
SEED = 20261202


@dataclass(frozen=True)
class HeldPair:
    """An alert only the event rule held back, and the one it repeats."""

    later: str  # article id
    earlier: str
    gap_h: float
    tags: tuple[str, ...]  # the tags the two alerts share


def classified(items: list[dict[str, Any]]) -> Iterator[ClassifiedArticle]:
    """The tagged items, in the given order, as the notifier receives them."""
    from watchfloor.services.classifier.engine import Classifier
    from watchfloor.services.classifier.learned import VerifiedClassifier
    from watchfloor.services.classifier.verifier import VerifierModel

    stories = replay(items).story_ids
    classifier = VerifiedClassifier(Classifier.from_files(), VerifierModel.load())
    for item in items:
        result = classifier.classify(item["title"], item.get("text") or "")
        if not result.tags:
            continue
        published = datetime.fromisoformat(item["published"])
        article = Article(id=item["id"], title=item["title"], text=item.get("text") or "",
                          source=item.get("source"), published_at=published,
                          story_id=stories.get(item["id"]))
        yield ClassifiedArticle(article=article, classification=result, classified_at=published)


def watchlists_for(events: list[ClassifiedArticle], least: int = 5) -> list[Watchlist]:
    """One watchlist per country or organisation at least ``least`` tagged items name."""
    named = Counter(a.id for e in events for a in e.classification.actors if a.kind != "person")
    return [Watchlist(id=f"wl-{actor}", name=actor, match=MatchRule(actors_any=[actor]))
            for actor, n in sorted(named.items()) if n >= least]


def raised(events: list[ClassifiedArticle], watchlists: list[Watchlist]) -> list[Alert]:
    matcher = WatchlistMatcher(watchlists)
    return sorted((a for e in events for a in matcher.match(e)),
                  key=lambda a: (a.created_at, a.id))


def replayed(alerts: Iterable[Alert], *, by_event: bool,
             event_window_s: int = DEFAULT_EVENT_WINDOW_S) -> tuple[int, list[HeldPair]]:
    """Alerts sent, and the held ones (each with the first alert it repeats)."""
    throttle = ThrottleReplay(event_window_s=event_window_s)
    first_sent: dict[str, Alert] = {}
    sent, held = 0, []
    for alert in alerts:
        decision, repeats = throttle.decide(judged(alert, by_event=by_event))
        if decision.send:
            sent += 1
            first_sent[alert.id] = alert
        elif repeats:
            tags = {t.tag for t in alert.tags}
            earlier = min((first_sent[i] for i in repeats),  # one it repeats a tag of, first
                          key=lambda a: (not tags & {t.tag for t in a.tags}, a.created_at))
            gap = (alert.created_at - earlier.created_at).total_seconds() / 3600
            shared = tuple(sorted(tags & {t.tag for t in earlier.tags}))
            held.append(HeldPair(alert.article.id, earlier.article.id, round(gap, 2), shared))
    return sent, held


def event_only(alerts: list[Alert], window_h: int) -> tuple[dict[str, Any], list[HeldPair]]:
    by_story, story_held = replayed(alerts, by_event=False)
    by_event, event_held = replayed(alerts, by_event=True, event_window_s=window_h * 3600)
    held_by_story = {p.later for p in story_held}
    pairs = {(p.later, p.earlier): p for p in event_held if p.later not in held_by_story}
    return ({"sent": by_event, "fewer_than_story": round(1 - by_event / max(by_story, 1), 3),
             "article_pairs_held_by_event_only": len(pairs)},
            sorted(pairs.values(), key=lambda p: (p.later, p.earlier)))


VERDICTS = ("same", "different", "no_event")


def verdict_shares(pairs: list[HeldPair], judgements: list[dict[str, Any]]) -> dict[str, Any]:
    """For each window, the share of each verdict among the judged pairs whose
    gap fits it: ``different`` is an event the officer was not told of."""
    gaps = {(p.later, p.earlier): p.gap_h for p in pairs}
    votes = (((j["later"], j["earlier"]), j["verdict"])
             for j in judgements if j.get("verdict") in VERDICTS)
    verdicts = [(gaps[key], v) for key, v in majority_vote(votes).items() if key in gaps]
    out: dict[str, Any] = {}
    for window in WINDOWS_H:
        within = [v for gap, v in verdicts if gap <= window]
        out[f"{window}h"] = {"pairs": len(within), **{
            verdict: share(sum(v == verdict for v in within), len(within)) for verdict in VERDICTS}}
    return out


def main(argv: list[str] | None = None) -> int:
    args = judging_arguments("python -m watchfloor.services.bench.event_groups", __doc__,
                             "write N held pairs (longest window), shuffled, to --out", argv)
    path = args.data_dir / POOL
    if not path.is_file():
        print(f"event_groups: no {POOL} in {args.data_dir} (set --data-dir)", file=sys.stderr)
        return 2
    items = [i for i in read_pool(path) if i.get("published")]
    events = list(classified(items))
    watchlists = watchlists_for(events)
    alerts = raised(events, watchlists)
    result: dict[str, Any] = {"items": len(items), "tagged": len(events),
                              "watchlists": len(watchlists), "alerts_matched": len(alerts),
                              "sent_alert_on_story": replayed(alerts, by_event=False)[0]}
    longest: list[HeldPair] = []
    for window in WINDOWS_H:
        result[f"alert_on_event_{window}h"], longest = event_only(alerts, window)
    if args.sample:
        chosen = random.Random(SEED).sample(longest, min(args.sample, len(longest)))
        write_tasks(args.out, ({"later": p.later, "earlier": p.earlier, "tags": list(p.tags)}
                               for p in chosen))
    if args.judged:
        result["judged"] = verdict_shares(longest, read_judgements(args.judged))
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
