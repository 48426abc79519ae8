"""The throttle's rules, pure: when a later alert on a story (or, with
``alert_on: event``, on an event) is news, and a replay of them in memory.

An alert brings *news items*: its tags, and the kinds of its figures that
count its tags' events ("figure:troops" for a deployment). A later version of
a story passes only with an item none of the story's sent alerts had. With
``alert_on: event`` it must also bring news to one of its event groups
(``event_groups.py``): each group is judged on the items of its own tag, so a
tag sent in another group (about other parties) does not cover it.
``StoryThrottle`` applies these rules to histories kept in Redis;
``ThrottleReplay`` to histories in memory (the console's trial, the bench).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from watchfloor.services.notifier.event_groups import event_groups
from watchfloor.shared.schemas import Alert

DEFAULT_WINDOW_S = 24 * 3600
DEFAULT_EVENT_WINDOW_S = 12 * 3600


@dataclass(frozen=True)
class Decision:
    send: bool
    # the alert's tags and figure kinds ("figure:troops"), kept so later
    # versions compare to them
    tags: frozenset[str]

    def encode(self) -> str:
        return ("send:" if self.send else "drop:") + ",".join(sorted(self.tags))

    @classmethod
    def decode(cls, value: str) -> Decision:
        verdict, _, tags = value.partition(":")
        return cls(verdict == "send", frozenset(tags.split(",")) - {""})


FIGURE_MARK = "figure:"
# The kinds of figure that count an event of each tag: a version that first
# gives them is news ("30,000 troops" for a deployment); a number from the
# background ("drills involving 20,000 troops" beside a missile test) is not.
_EVENT_FIGURES = {
    "missile_test": frozenset({"missiles"}),
    "troop_deployment": frozenset({"troops", "ships", "aircraft"}),
    "military_exercise": frozenset({"troops", "ships", "aircraft"}),
    "arms_transfer": frozenset({"money", "missiles", "aircraft", "ships"}),
    "sanctions": frozenset({"money"}),
}


def tag_items(alert: Alert, tag: str) -> frozenset[str]:
    """The tag, and the kinds of the alert's figures that count its event."""
    kinds = _EVENT_FIGURES.get(tag, frozenset())
    return frozenset([tag] + [FIGURE_MARK + f.kind for f in alert.figures if f.kind in kinds])


def news_items(alert: Alert) -> frozenset[str]:
    """What a version brings that a later one may add to: its tags and the
    kinds of its figures that count its tags' events."""
    return frozenset().union(*(tag_items(alert, t.tag) for t in alert.tags))


def brings_news(items: frozenset[str], history: Mapping[str, Decision]) -> bool:
    """True when nothing was sent yet, or ``items`` hold one no sent alert had."""
    sent = [d.tags for d in history.values() if d.send]
    return not sent or not items <= frozenset().union(*sent)


def decide(
    alert_id: str, tags: frozenset[str], history: Mapping[str, Decision],
    *, every_version: bool = False,
    groups: Sequence[tuple[frozenset[str], Mapping[str, Decision]]] = (),
) -> Decision:
    """Pure: what to do with one alert, given the decisions already taken for
    its (watchlist, story), keyed by alert id. ``every_version``: the
    watchlist asked for every version (``alert_on: every_version``).
    ``groups`` (``alert_on: event``): for each of the alert's event groups,
    the items it is judged on there and the group's decisions; the alert is
    also held when it brings news to none of them."""
    for one in (history, *(h for _, h in groups)):
        earlier = one.get(alert_id)
        if earlier is not None:
            return earlier  # a redelivered alert: same answer as the first time
    news = brings_news(tags, history) and (
        not groups or any(brings_news(items, h) for items, h in groups))
    return Decision(send=every_version or news, tags=tags)


def held_by_events(alert_id: str, items: frozenset[str], story: Mapping[str, Decision],
                   groups: Sequence[tuple[frozenset[str], Mapping[str, Decision]]]) -> bool:
    """For a held alert: its event groups held it (its story's rule alone would
    have sent it), else its story did."""
    return bool(groups) and brings_news(items, {i: d for i, d in story.items() if i != alert_id})


def story_of(alert: Alert) -> str:
    return alert.article.story_id or alert.article.id


@dataclass(frozen=True)
class Judged:
    """What the throttle decides one alert on (small: the console's trial
    keeps one for each alert it counts)."""

    alert_id: str
    watchlist_id: str
    at: datetime
    story: str
    items: frozenset[str]
    # alert_on: event: each event group and the alert's items judged there
    groups: tuple[tuple[str, frozenset[str]], ...] = ()


def judged(alert: Alert, *, by_event: bool = False) -> Judged:
    groups = (tuple((group, tag_items(alert, tag)) for tag, group in event_groups(alert))
              if by_event else ())
    return Judged(alert.id, alert.watchlist_id, alert.created_at, story_of(alert),
                  news_items(alert), groups)


def sent_before(alert_id: str, histories: Sequence[Mapping[str, Decision]]) -> list[str]:
    return sorted({i for h in histories for i, d in h.items() if d.send and i != alert_id})


class ThrottleReplay:
    """The throttle's decisions in memory, for alerts given in order of time:
    what watchlists would have been sent (the console's trial,
    ``bench.event_groups``). The same ``decide`` as ``StoryThrottle``; a
    history ends ``window_s`` (``event_window_s``) after its first alert, as
    its Redis key expires."""

    def __init__(self, window_s: int = DEFAULT_WINDOW_S,
                 event_window_s: int = DEFAULT_EVENT_WINDOW_S) -> None:
        self._windows = {"story": window_s, "event": event_window_s}
        self._histories: dict[tuple[str, str, str], tuple[datetime, dict[str, Decision]]] = {}

    def _history(self, kind: str, watchlist_id: str, name: str, at: datetime) -> dict[str, Decision]:
        began = self._histories.get((kind, watchlist_id, name))
        if began is None or at - began[0] > timedelta(seconds=self._windows[kind]):
            began = self._histories[(kind, watchlist_id, name)] = (at, {})
        return began[1]

    def decide(self, alert: Judged, *, every_version: bool = False) -> tuple[Decision, list[str]]:
        """The decision, and (when held) the alerts sent before it that it repeats."""
        story = self._history("story", alert.watchlist_id, alert.story, alert.at)
        groups = [(items, self._history("event", alert.watchlist_id, group, alert.at))
                  for group, items in alert.groups]
        decision = decide(alert.alert_id, alert.items, story, every_version=every_version,
                          groups=groups)
        by_events = held_by_events(alert.alert_id, alert.items, story, groups)
        repeats = ([] if decision.send else
                   sent_before(alert.alert_id, [h for _, h in groups] if by_events else [story]))
        for one in (story, *(h for _, h in groups)):
            one.setdefault(alert.alert_id, decision)
        return decision, repeats
