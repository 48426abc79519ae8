"""General patterns of taxonomy-2026.11.2: negation, loose single-word
triggers, word boundaries, background and future wording. Sentences written
for these tests."""

from __future__ import annotations

import pytest
from watchfloor.services.classifier.modality import NEGATION_FACTOR, decide


@pytest.mark.parametrize(
    "title",
    [
        "Why Norway isn't sending soldiers to the Arctic",
        "Berlin won't deploy soldiers to the Baltic, minister says",
        "Rome has no plans to send soldiers to Libya",
        "Prime minister ruled out sending ground troops to the region",
        "Ankara refused to deploy troops along the frontier",
        "North Korea did not test a missile, Seoul says",
    ],
)
def test_negated_event_stays_under_the_emit_threshold(tags_of, title):
    assert not set(tags_of(title)) & {"troop_deployment", "missile_test"}


def test_negation_window_is_short(classifier):
    # "won't commit to ... withdrawal": the negation governs "commit", not the withdrawal
    match = classifier.classify(
        "Defence ministry won't commit to a full troop withdrawal by spring", ""
    ).tag("troop_deployment")
    assert match is not None


def test_negation_marks_denied_and_flags_it():
    sentence = "the government isn't sending troops to the north"
    cue = sentence.index("isn't")
    trigger = sentence.index("sending")
    modality, negated = decide([("denied", "negation", cue, cue + 5)], trigger, sentence)
    assert modality == "denied" and negated
    assert 0.92 * NEGATION_FACTOR < 0.5


def test_denial_of_a_report_still_emits(tags_of):
    # the event is in dispute: a watch officer still needs it
    assert "missile_test" in tags_of("Tehran denies testing a ballistic missile last week")


@pytest.mark.parametrize(
    ("title", "text"),
    [
        ("Defence review: navy to be reduced by 3,000 sailors and troops", ""),
        ("Leader pledges to increase armed forces personnel by 50,000", ""),
        ("Intelligence-gathering by forces near the frontier is hard", ""),
        ("Region feels the weight of decades of military buildup", ""),
        ("Kidnappers demand foreign forces withdraw from the province", ""),
    ],
)
def test_not_a_troop_movement(tags_of, title, text):
    assert "troop_deployment" not in tags_of(title, text)


@pytest.mark.parametrize(
    "title",
    [
        "Allied troops move toward the besieged port city",
        "President's promise to remove troops from the country by autumn",
        "Ruler has deployed the military across the capital before the vote",
        "Air force squadron to be deployed to the island next month",
        "Government to cut troops in the northern province by half",
    ],
)
def test_troop_movement_phrasings(tags_of, title):
    assert "troop_deployment" in tags_of(title)


@pytest.mark.parametrize(
    ("title", "text"),
    [
        ("Presenter talks to CNN's anchor about the president's new book", ""),
        ("Records show the president's calls and visits that week", ""),
        ("Ex-agent claims he was poisoned during a visit to Minsk", ""),
        ("Leader makes appeal for ceasefire talks with the Russian president", ""),
        ("President spoke with the French president in a phone call on Monday", ""),
    ],
)
def test_not_a_diplomatic_visit(tags_of, title, text):
    assert "diplomatic_visit" not in tags_of(title, text)


@pytest.mark.parametrize(
    "title",
    [
        "Rebels plotted an attack on the president during his visit to Peru",
        "Explosive found outside a hotel just after the Italian president's visit",
        "Foreign minister will fly from Nairobi to the border camps",
        "Foreign minister to begin talks with Japanese officials on Monday",
    ],
)
def test_diplomatic_visit_phrasings(tags_of, title):
    assert "diplomatic_visit" in tags_of(title)


@pytest.mark.parametrize(
    "title",
    [
        "Russia is building new missile systems in order to protect itself",
        "Two companies win contracts to protect airliners from rockets",
        "Navy sends destroyer near disputed islands",
    ],
)
def test_not_an_arms_transfer(tags_of, title):
    assert "arms_transfer" not in tags_of(title)


def test_arms_deal_between_states_still_counts(tags_of):
    assert "arms_transfer" in tags_of("Poland signs deal with South Korea for 180 tanks")


@pytest.mark.parametrize(
    "title",
    [
        "Regulator backs 2bn energy deal between utilities",
        "Ministers in final push to reach deal on fisheries at summit",
        "Army went back on an agreement struck with the civilian cabinet",
    ],
)
def test_not_a_treaty(tags_of, title):
    assert "treaty_reaffirmation" not in tags_of(title)


@pytest.mark.parametrize(
    ("title", "text", "expected"),
    [
        ("Nuclear weapons: a short explainer", "", False),
        (
            "Sanctioned for developing nuclear weapons, the state now chairs a disarmament forum",
            "",
            False,
        ),
        ("A new reactor would boost the state's ability to make plutonium", "", True),
        ("Satellite images show country hiding nuclear weapons at a new site", "", True),
    ],
)
def test_nuclear_needs_an_activity(tags_of, title, text, expected):
    assert ("nuclear_activity" in tags_of(title, text)) is expected


def test_anti_satellite_missile_test_is_a_missile_test(tags_of):
    assert "missile_test" in tags_of("Country condemned over anti-satellite missile test")
