"""The facts that tell two near-identical versions apart as two events.

All example text is invented for these tests.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from watchfloor.services.ingest.stories import story_words
from watchfloor.services.ingest.story_facts import (
    DEFAULT_MAX_GAP_S,
    EventFacts,
    contradict,
    different_events,
    event_facts,
)

NOON = datetime(2031, 3, 3, 12, 0, tzinfo=UTC)


def facts(text: str, title: str = "", at: datetime | None = None) -> EventFacts:
    return event_facts(story_words(title, text), text, at)


def test_weekdays_with_their_possessive() -> None:
    assert facts("Troops left on Monday after Friday's talks.").weekdays == {"mon", "fri"}
    assert facts("Troops left today.").weekdays == frozenset()


@pytest.mark.parametrize(("text", "dates"), [
    ("It happened on March 9.", {"03", "03-09"}),
    ("It happened on 9 March.", {"03", "03-09"}),
    ("It happened on the 9th of March.", {"03", "03-09"}),
    ("PORTVILLE, Aug. 18 (Wire) - It happened.", {"08", "08-18"}),
    ("It will happen in March.", {"03"}),
    ("It happened on 10 May.", {"05", "05-10"}),
    ("It happened on May 10.", {"05", "05-10"}),
])
def test_calendar_dates(text: str, dates: set[str]) -> None:
    assert facts(text).dates == dates


@pytest.mark.parametrize("text", [
    "This may be the last test.",  # a verb, not a month
    "The top 10 may change.",
    "Protesters march in the capital.",  # a verb
    "The deal was signed in 2019.",  # a year is a figure, not a date
])
def test_words_that_are_not_dates(text: str) -> None:
    assert facts(text).dates == frozenset()


def test_places_come_from_the_text_after_a_preposition() -> None:
    found = facts("PORTVILLE - Rockets fell near Sinpo and off the Korean Peninsula, "
                  "officials in Port Alma's harbour office said.",
                  title="Rockets Fall In Sea Near Coast")  # a title-cased headline names nothing
    assert found.places == {"sinpo", "korean", "peninsula", "port", "alma"}
    # A dateline is where the report was filed, not where things happened.
    assert "portville" not in found.places


def test_months_and_weekdays_are_no_places() -> None:
    assert facts("It rained in March and in Monday's storm.").places == frozenset()


def test_figures_are_the_numbers_as_written() -> None:
    assert facts("About 60,000 troops and 12 ships.").figures == {"60000", "12"}


def test_time_is_unix_seconds_and_a_naive_time_is_utc() -> None:
    assert facts("x", at=NOON).at == int(NOON.timestamp())
    assert facts("x", at=NOON.replace(tzinfo=None)).at == int(NOON.timestamp())
    assert facts("x").at is None


def test_contradict_only_when_each_side_has_its_own() -> None:
    assert contradict(frozenset({"mon"}), frozenset({"thu"}))
    assert contradict(frozenset({"mon", "tue"}), frozenset({"mon", "wed"}))
    assert not contradict(frozenset({"mon"}), frozenset({"mon", "tue"}))  # an update adds
    assert not contradict(frozenset(), frozenset({"sat"}))  # one side says no day


@pytest.mark.parametrize(("a", "b", "why"), [
    ("Missiles were fired on Monday.", "Missiles were fired on Thursday.", "weekdays"),
    ("Missiles were fired on March 9.", "Missiles were fired on April 9.", "dates"),
    ("Missiles were fired near Sinpo.", "Missiles were fired near Wonsan.", "places"),
    ("Two missiles were fired, 16 in all.", "Two missiles were fired, 18 in all.", "figures"),
    # one template, another country: the same words, another event
    ("Iran test-fired a ballistic missile, its military said.",
     "Pakistan test-fired a ballistic missile, its military said.", "states"),
    ("The EU agreed new sanctions on Russia.", "The EU agreed new sanctions on Belarus.",
     "states"),
    # one template, another weapon system: a second test that day
    ("Russia test-fired a Sarmat missile, the defence ministry said.",
     "Russia test-fired a Bulava missile, the defence ministry said.", "weapons"),
    # (a place too, now that "to" names one)
    ("Washington approved an arms sale to Taiwan.", "Washington approved an arms sale to Poland.",
     "places"),
])
def test_different_events(a: str, b: str, why: str) -> None:
    assert different_events(facts(a), facts(b)) == why


@pytest.mark.parametrize(("a", "b"), [
    ("Missiles were fired on Monday.", "Missiles were fired today."),
    ("Missiles were fired on Monday.", "Missiles were fired on Monday; Tokyo protested on Tuesday."),
    ("Missiles were fired on Monday.", "Missiles were fired on March 9."),  # not compared
    ("Missiles were fired near Sinpo.", "SEAPORT - Missiles were fired near Sinpo."),
    ("About 60,000 to 70,000 troops.", "About 70,000 troops."),
    # a name and its adjective are one country; one side adding one is an update
    ("Iran test-fired a missile.", "The Iranian military test-fired a missile."),
    ("North Korea fired a missile.", "North Korea fired a missile; Japan protested."),
    ("Officials told us the missile flew far.", "Officials said the missile flew far."),
    # naming the system, or adding its plural, is an update
    ("Russia test-fired a new missile.", "Russia test-fired a Sarmat missile."),
    ("Iskanders were moved to the border.", "Iskander launchers and Kalibr missiles were moved."),
    # copies of one story share the country it is about, whatever each adds
    ("Rebels seized a town, the Democratic Republic of the Congo said.",
     "Rwanda-backed rebels seized a town, Congo said."),
    # names with a country's name in them that are no country
    ("Floods in New South Wales forced thousands from their homes.",
     "Australia floods forced thousands from their homes."),
    ("The storm reached New Mexico.", "The storm reached Mexico's border states."),
    ("Utility poles fell across Latin America.", "Storms hit Central America."),
    ("Latin American leaders met.", "Chilean and Peruvian leaders met."),
    # both told as a repeat; ordinals of other things, and words outlets add
    # to one event's headline, tell no repeat
    ("Northland fired another missile.", "Northland fired another missile on Monday."),
    ("Northland, the second-largest state, fired a missile.", "Northland fired a missile."),
    ("A third of the missiles failed.", "The missiles failed."),
    ("Renewed fighting shook the city.", "Fighting shook the city."),
    ("Fresh clashes erupted in the city.", "Clashes erupted in the city."),
    ("The launch was the latest in a series.", "The launch was one of a series."),
])
def test_same_event_told_with_more_or_fewer_details(a: str, b: str) -> None:
    assert different_events(facts(a), facts(b)) is None


@pytest.mark.parametrize("later", [
    "Northland fired another missile, its neighbour said.",
    "Northland fired a missile again, its neighbour said.",
    "Northland made a second launch, its neighbour said.",
])
def test_one_template_told_as_a_repeat_hours_later_is_another_event(later: str) -> None:
    morning = facts("Northland fired a missile, its neighbour said.", at=NOON)
    evening = facts(later, at=NOON + timedelta(hours=5))
    assert different_events(morning, evening) == "repeat"
    # within the hour it is the wire's update of its flash, which adds "again"
    update = facts(later, at=NOON + timedelta(minutes=40))
    assert different_events(morning, update) is None
    assert different_events(morning, facts(later)) is None  # no time: nothing to tell


def test_repeats_are_read_from_the_lead_only() -> None:
    # a background sentence further down ("... tested again last year") is
    # one outlet's, kept or trimmed: it tells nothing about this event
    lead = "Northland fired a missile into the sea, its neighbour said. " + "Word " * 60
    assert facts(lead + "It tested again last year.").repeat is False
    assert facts("Northland fired another missile into the sea.").repeat


def test_a_record_that_does_not_say_contradicts_no_repeat() -> None:
    told_before = EventFacts(at=int(NOON.timestamp()))  # repeat None: kept before repeats were
    later = NOON + timedelta(hours=5)
    assert different_events(told_before, facts("Northland fired another missile.", at=later)) is None
    assert different_events(told_before, facts("Northland fired a missile.", at=later)) is None


def test_published_far_apart() -> None:
    text = "Missiles were fired into the sea."
    first = facts(text, at=NOON)
    assert different_events(first, facts(text, at=NOON + timedelta(days=2))) == "published apart"
    assert different_events(first, facts(text, at=NOON + timedelta(hours=23))) is None
    assert different_events(first, facts(text)) is None  # one time unknown: nothing to tell
    later = facts(text, at=NOON + timedelta(hours=3))
    assert different_events(first, later, max_gap_s=3600) == "published apart"
    assert DEFAULT_MAX_GAP_S == 24 * 3600
