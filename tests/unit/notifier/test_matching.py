"""Matching classified articles against watchlists: pure, no Redis."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from watchfloor.services.notifier.matching import WatchlistMatcher, alert_id
from watchfloor.shared.schemas import Actor

from tests.unit.notifier.factories import (
    CLASSIFIED_AT,
    country,
    figure,
    make_event,
    make_watchlist,
    person,
    tag,
)


def matches(match: dict[str, Any], **event: Any) -> bool:
    matcher = WatchlistMatcher([make_watchlist(match=match)])
    return bool(matcher.match(make_event(**event)))


def test_tags_any() -> None:
    assert matches({"tags_any": ["missile_test", "sanctions"]})
    assert not matches({"tags_any": ["sanctions"]})


def test_tags_all() -> None:
    both = [tag("missile_test"), tag("military_exercise")]
    assert matches({"tags_all": ["missile_test", "military_exercise"]}, tags=both)
    assert not matches({"tags_all": ["missile_test", "military_exercise"]})


def test_no_tag_criteria_needs_some_qualifying_tag() -> None:
    assert matches({})
    assert not matches({}, tags=[])
    assert not matches({"min_confidence": 0.95})


def test_min_confidence_applies_per_tag() -> None:
    assert matches({"tags_any": ["missile_test"], "min_confidence": 0.9})
    assert not matches({"tags_any": ["missile_test"], "min_confidence": 0.91})


@pytest.mark.parametrize("modality", ["denied", "hypothetical"])
def test_exclude_modalities(modality: str) -> None:
    rule = {"tags_any": ["missile_test"], "exclude_modalities": ["denied", "hypothetical"]}
    assert not matches(rule, tags=[tag(modality=modality)])
    assert matches(rule, tags=[tag(modality="reported")])


def test_excluded_tag_does_not_count_for_tags_all() -> None:
    rule = {"tags_all": ["missile_test", "sanctions"], "exclude_modalities": ["planned"]}
    tags = [tag("missile_test"), tag("sanctions", modality="planned")]
    assert not matches(rule, tags=tags)


def test_actors_any_and_all() -> None:
    actors = [country("KP"), country("RU")]
    assert matches({"actors_any": ["RU", "CN"]}, actors=actors)
    assert not matches({"actors_any": ["CN"]}, actors=actors)
    assert matches({"actors_all": ["kp", "ru"]}, actors=actors)  # case-insensitive
    assert not matches({"actors_all": ["KP", "CN"]}, actors=actors)


def test_person_counts_for_their_country() -> None:
    actors = [person("minister-x", "Minister X", "RU")]
    assert matches({"actors_any": ["RU"]}, actors=actors)
    assert matches({"actors_any": ["minister-x"]}, actors=actors)


@pytest.mark.parametrize(
    ("keyword", "expected"),
    [
        ("rockets", True),
        ("ROCKETS", True),  # case-insensitive
        ("rocket", False),  # whole words only
        ("coastal battery", True),  # phrase, title
        ("into the strait", True),  # phrase, text
        ("battery fired", True),
        ("Tues", False),  # not inside a longer word
        ("Tuesday", True),  # before punctuation
    ],
)
def test_keywords_any(keyword: str, expected: bool) -> None:
    assert matches({"keywords_any": [keyword]}) is expected


@pytest.mark.parametrize(("keyword", "title"), [
    ("Erdog\u0306an", "Erdo\u011fan visits Baku"),  # decomposed, as a Mac keyboard may type it
    ("Hwa\u00adsong", "Hwasong-18 launched"),  # a pasted soft hyphen
    ("Hwa\u200bsong", "Hwasong-18 launched"),  # a zero-width space
    ("STRASSE", "Talks on the Stra\u00dfe"),  # casefolded, not only case-blind
    ("\u91d1\u6b63\u6069", "\u671d\u9bae\u306e\u91d1\u6b63\u6069\u304c\u8996\u5bdf"),  # no spaces around words
    ("Istanbul", "Blast in \u0130stanbul"),  # casefolding dots a capital dotted I
    ("\u0130zmir", "Quake near Izmir"),
])
def test_keywords_are_compared_as_articles_are_stored(keyword: str, title: str) -> None:
    assert matches({"keywords_any": [keyword]}, title=title, text="")


def test_a_korean_keyword_does_not_match_inside_a_longer_word() -> None:
    # Korean is written with spaces: "Kim" is not in "kimchi", "North Korea"
    # not in the name of the mountain Bukhansan
    assert not matches({"keywords_any": ["\uae40"]}, title="\uae40\uce58 \uc218\ucd9c", text="")
    assert not matches({"keywords_any": ["\ubd81\ud55c"]}, title="\ubd81\ud55c\uc0b0 \ub4f1\uc0b0\ub85c", text="")


def test_keyword_phrase_spans_line_breaks() -> None:
    assert matches({"keywords_any": ["two rockets"]}, text="It fired two\nrockets at dawn.")


def test_min_figures() -> None:
    assert not matches({"min_figures": 1})
    assert matches({"min_figures": 1}, figures=[figure()])
    assert not matches({"min_figures": 2}, figures=[figure()])


def test_alert_content_and_stable_id() -> None:
    event = make_event(
        tags=[tag("missile_test"), tag("sanctions", evidence="Banks were listed.")],
        actors=[country("KP")],
        figures=[figure()],
    )
    watchlist = make_watchlist("wl-a", name="Launches", match={"tags_any": ["missile_test"]})
    (alert,) = WatchlistMatcher([watchlist]).match(event)
    assert alert.id == alert_id("wl-a", "art-001")
    assert alert.id.startswith("al_") and len(alert.id) == 27
    assert [t.tag for t in alert.tags] == ["missile_test"]  # only what matched
    assert alert.tags[0].evidence.startswith("The coastal battery")
    assert [a.id for a in alert.actors] == ["KP"] and len(alert.figures) == 1
    assert alert.watchlist_name == "Launches"
    assert alert.classifier_version == "test-classifier-1"
    assert alert.created_at == CLASSIFIED_AT  # pure: no clock read
    again = WatchlistMatcher([watchlist]).match(event)
    assert again == [alert]


def test_alert_id_differs_per_watchlist_and_article() -> None:
    ids = {alert_id("a", "1"), alert_id("a", "2"), alert_id("b", "1"), alert_id("a1", "")}
    assert len(ids) == 4


def test_now_overrides_created_at() -> None:
    now = datetime(2031, 1, 1, tzinfo=UTC)
    (alert,) = WatchlistMatcher([make_watchlist()]).match(make_event(), now=now)
    assert alert.created_at == now


def test_one_alert_per_matching_watchlist() -> None:
    matcher = WatchlistMatcher(
        [
            make_watchlist("yes-1", match={"tags_any": ["missile_test"]}),
            make_watchlist("no", match={"actors_any": ["FR"]}),
            make_watchlist("yes-2", match={}),
        ]
    )
    assert [a.watchlist_id for a in matcher.match(make_event())] == ["yes-1", "yes-2"]


def _drills_with_a_bystander():
    # Ostland and Westmark drill; Nordia is named only further down
    return make_event(
        title="Ostland and Westmark hold joint naval drills",
        text="The two navies began five days of drills on Monday. Analysts say "
             "the drills come as Nordia expands its fleet.",
        tags=[tag("military_exercise", evidence="The two navies began five days of drills on Monday.")],
        actors=[Actor(id="OS", name="Ostland", kind="country", mentions=["Ostland"]),
                Actor(id="WM", name="Westmark", kind="country", mentions=["Westmark"]),
                Actor(id="NR", name="Nordia", kind="country", mentions=["Nordia"]),
                Actor(id="nordia-president", name="Ana Vell", kind="person", country="NR",
                      mentions=["Ana Vell"])],
    )


@pytest.mark.parametrize(("actors", "scope", "alerts"), [
    ({"actors_any": ["NR"]}, "article", 1),   # named in the article: as before
    ({"actors_any": ["NR"]}, "event", 0),     # only mentioned, not drilling
    ({"actors_any": ["WM"]}, "event", 1),     # in the headline
    ({"actors_all": ["OS", "WM"]}, "event", 1),
    ({"actors_all": ["OS", "NR"]}, "event", 0),
])
def test_actors_scope_event_counts_the_actors_named_where_the_event_is_told(
    actors: dict, scope: str, alerts: int
) -> None:
    watchlist = make_watchlist(match={**actors, "actors_scope": scope})
    assert len(WatchlistMatcher([watchlist]).match(_drills_with_a_bystander())) == alerts


def test_actors_scope_event_judges_each_tag_on_its_own_event() -> None:
    # the visit's sentence names Nordia's president (and so Nordia); the
    # drill's does not: only the visit is Nordia's
    visit = tag("diplomatic_visit", evidence="Ana Vell flew to Ostland on Tuesday.")
    event = _drills_with_a_bystander()
    event = event.model_copy(update={"classification": event.classification.model_copy(
        update={"tags": [*event.classification.tags, visit]})})
    watchlist = make_watchlist(match={"actors_any": ["NR"], "actors_scope": "event"})
    [alert] = WatchlistMatcher([watchlist]).match(event)
    assert [t.tag for t in alert.tags] == ["diplomatic_visit"]


def test_actors_scope_event_falls_back_to_the_article_when_the_event_names_no_one() -> None:
    # "The missile flew 600 km": who fired it is said elsewhere; not lost
    event = make_event(
        title="Missile flies 600 km before falling into the sea",
        text="Ostland fired it at dawn, officials said.",
        tags=[tag("missile_test", evidence="Missile flies 600 km before falling into the sea")],
        actors=[Actor(id="OS", name="Ostland", kind="country", mentions=["Ostland"])],
    )
    watchlist = make_watchlist(match={"actors_any": ["OS"], "actors_scope": "event"})
    assert len(WatchlistMatcher([watchlist]).match(event)) == 1


def test_actors_scope_event_does_not_find_a_name_inside_a_longer_one() -> None:
    # "Sudan" stands in "South Sudan": the visit is South Sudan's; Sudan is
    # named only in another sentence
    event = make_event(
        title="Pope arrives in South Sudan",
        text="The pontiff flew in from Kinshasa. Sudan's war was not on the agenda.",
        tags=[tag("diplomatic_visit", evidence="Pope arrives in South Sudan")],
        actors=[Actor(id="SS", name="South Sudan", kind="country", mentions=["South Sudan"]),
                Actor(id="SD", name="Sudan", kind="country", mentions=["Sudan"])],
    )
    watch = {"actors_any": ["SD"], "actors_scope": "event"}
    assert not WatchlistMatcher([make_watchlist(match=watch)]).match(event)
    watch = {"actors_any": ["SS"], "actors_scope": "event"}
    assert WatchlistMatcher([make_watchlist(match=watch)]).match(event)


def test_actors_scope_event_counts_every_actor_a_shared_mention_names() -> None:
    # the classifier lists the body a leader stands for with the leader's
    # words as its mentions: both are named by them
    event = make_event(
        title="Vell says Ostland has enriched uranium further",
        text="The agency chief spoke in Vienna.",
        tags=[tag("nuclear_activity", evidence="Vell says Ostland has enriched uranium further")],
        actors=[Actor(id="ana-vell", name="Ana Vell", kind="person", mentions=["Vell"]),
                Actor(id="WATCHDOG", name="Atomic Watchdog", kind="organisation",
                      mentions=["Vell"]),
                Actor(id="OS", name="Ostland", kind="country", mentions=["Ostland"])],
    )
    for actor in ("WATCHDOG", "ana-vell", "OS"):
        watch = {"actors_any": [actor], "actors_scope": "event"}
        assert WatchlistMatcher([make_watchlist(match=watch)]).match(event), actor
