"""General news phrasings the rules must handle (sentences written for these tests)."""

from __future__ import annotations

import pytest
from watchfloor.services.classifier.modality import decide_modality
from watchfloor.services.classifier.taxonomy import parse_taxonomy


@pytest.mark.parametrize(
    "title",
    [
        "The army test-fired a newly developed surface-to-air missile on Sunday",
        "Country X tested a new type of anti-aircraft missile",
        "The navy conducted a test of its new hypersonic missile",
        "Forces carried out a launch of an intercontinental ballistic missile",
        "Country X fired a ballistic missile into the sea, officials said",
        "A long-range cruise missile was test-fired from a coastal site",
    ],
)
def test_missile_test_phrasings(tags_of, title):
    assert "missile_test" in tags_of(title)


def test_explicit_test_survives_a_destroyed_target_drone(tags_of):
    text = (
        "State media said the country had test-fired a newly developed interceptor missile, "
        "claiming it destroyed a target drone at high altitude."
    )
    assert "missile_test" in tags_of("Weekly briefing", text)


@pytest.mark.parametrize(
    "title",
    [
        "Missiles slammed into a harbour hours after the ceasefire was signed",
        "Officials want to light a fire under hypersonic weapon development",
        "A student team delayed the launch of its private rocket",
    ],
)
def test_not_missile_tests(tags_of, title):
    assert "missile_test" not in tags_of(title)


@pytest.mark.parametrize(
    ("title", "modality", "tag"),
    [
        ("Country X denies testing a missile", "denied", "missile_test"),
        ("Country X plans to deploy 3,000 troops to the border", "planned", "troop_deployment"),
        ("The bloc threatened to impose sanctions on Country X", "planned", "sanctions"),
        ("Country X could test a nuclear device within weeks", "hypothetical", "nuclear_activity"),
        ("Seoul said Pyongyang fired a ballistic missile into the sea", "reported", "missile_test"),
        ("Pyongyang said it fired a ballistic missile into the sea", "asserted", "missile_test"),
        ("Country X tested a cruise missile, it said", "asserted", "missile_test"),
        (
            "Country X tested a cruise missile, the defence ministry said",
            "reported",
            "missile_test",
        ),
    ],
)
def test_clause_modality(classifier, title, modality, tag):
    match = classifier.classify(title, "").tag(tag)
    assert match is not None
    assert match.modality == modality


def test_a_cue_far_before_the_trigger_governs_another_clause():
    sentence = "officials who could not be named for reasons of protocol at the meeting said troops were sent"
    cue = sentence.index("could")
    trigger = sentence.index("troops")
    hits = [("hypothetical", "before", cue, cue + len("could"))]
    assert decide_modality(hits, trigger, sentence) == "asserted"
    near = sentence.index("said")
    hits = [("hypothetical", "before", near, near + 4)]
    assert decide_modality(hits, trigger, sentence) == "hypothetical"


@pytest.mark.parametrize(
    ("title", "text"),
    [
        (
            "Allies renew cost-sharing agreement",
            "Country A and Country B renewed the agreement on the cost of stationing American "
            "forces in the region, officials said.",
        ),
        (
            "Brigade to move east",
            "Local officials welcomed the decision and said preparations to host the brigade "
            "were under way.",
        ),
    ],
)
def test_background_troops_and_hosting_a_brigade(tags_of, title, text):
    tags = tags_of(title, text)
    assert "troop_deployment" not in tags or title == "Brigade to move east"
    assert "diplomatic_visit" not in tags


def test_troops_sent_with_their_own_vehicles_are_not_an_arms_transfer(tags_of):
    text = (
        "Country A has sent additional commandos and armoured vehicles to its bases in the north."
    )
    tags = tags_of("Reinforcements head north", text)
    assert "troop_deployment" in tags
    assert "arms_transfer" not in tags


def test_weapons_sent_to_another_state_are_an_arms_transfer(tags_of):
    assert "arms_transfer" in tags_of("Country A sends anti-tank weapons to Country B")


def test_police_elsewhere_in_the_sentence_does_not_veto_troops(tags_of):
    title = "Riot police clashed with thousands of protesters in the capital against plans to send troops abroad"
    assert "troop_deployment" in tags_of(title)
    assert "troop_deployment" not in tags_of("Government deploys 2,000 police officers downtown")


@pytest.mark.parametrize(
    "title",
    [
        "The last soldiers left the air base as the mission ended",
        "Country A will reduce its number of troops in the region by next year",
        "Plan to begin pulling most troops out of the country worries allies",
    ],
)
def test_withdrawal_phrasings(tags_of, title):
    assert "troop_deployment" in tags_of(title)


def test_league_sanctions_are_not_state_sanctions(tags_of):
    assert "sanctions" not in tags_of("League sanctions club over salary cap breach")


@pytest.mark.parametrize(
    "title",
    [
        "The alliance formally invited two countries to join on Wednesday",
        "President vows to repair alliances damaged by his predecessor",
        "Country A and Country B signed a security pact",
    ],
)
def test_treaty_phrasings(tags_of, title):
    assert "treaty_reaffirmation" in tags_of(title)


@pytest.mark.parametrize(
    "title",
    [
        "Country A refused joining NATO countries in sending weapons",
        "Country A keeps cameras off until a deal with Country B is reached",
        "Government signs agreement with rebels to end fighting",
    ],
)
def test_not_treaty(tags_of, title):
    assert "treaty_reaffirmation" not in tags_of(title)


def test_leader_plenary_is_not_a_diplomatic_visit(tags_of):
    title = "Leader tells a plenary meeting of the ruling party that the economy will grow"
    assert "diplomatic_visit" not in tags_of(title)


def test_without_near_is_validated():
    text = """
version: t
tags:
  some_tag:
    rules:
      - id: r
        confidence: 0.8
        trigger: [send troops]
        without_near: [police]
        near_chars: 20
"""
    rule = parse_taxonomy(text).tags[0].rules[0]
    assert rule.without_near == ("police",) and rule.near_chars == 20
