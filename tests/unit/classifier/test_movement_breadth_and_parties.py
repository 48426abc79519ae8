"""Breadth of taxonomy-2026.11.8: movement verbs by sea, air and land and
headline forms for troops; a party on either side of an arms transfer; states
(not provinces or parties) as the sides of an agreement; domestic political
trips; the verb "sanction". Sentences written for these tests."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize(
    ("title", "text"),
    [
        ("Navy", "A British carrier group will set sail for the Pacific in May."),
        ("Mission", "A company of Kenyan infantry flew out of Nairobi, heading for Somalia."),
        ("More troops for Mali as the junta falters", ""),
        ("Airborne", "Paratroopers were rushed to the border overnight."),
        ("Alliance", "The defence ministry will beef up forces on the eastern flank."),
        ("Army", "Tanks rolled into the capital as troops arrived from the north."),
        ("Peace mission", "Peacekeepers arriving in Juba will guard the airport."),
        ("Jets", "Britain announced it would deploy six Harrier jets to Cyprus."),
    ],
)
def test_broad_troop_movements(tags_of, title, text):
    assert "troop_deployment" in tags_of(title, text)


@pytest.mark.parametrize(
    ("title", "text"),
    [
        (
            "Survivor",
            "She was held captive by Russian troops for a week before being freed in a forest.",
        ),
        ("Drill", "The army is running an exercise to ready its troops for a possible war."),
        ("Patrol", "Troops stepped up attacks on the steel plant."),
        ("Protest", "Footage shows tanks retreating while residents shout at soldiers to leave."),
    ],
)
def test_no_troop_movement(tags_of, title, text):
    assert "troop_deployment" not in tags_of(title, text)


@pytest.mark.parametrize(
    ("title", "text"),
    [
        ("Front line", "Marines let journalists inspect their newest weapon up close."),
        ("Refugees", "Norway opens its arms to families fleeing the war."),
        ("Swap", "Washington offered a jailed arms dealer in exchange for the release of two men."),
        ("EU pressed to maintain its arms sales ban on the junta", ""),
        ("Show", "A journalist was shown around the weapons depot."),
    ],
)
def test_weapons_with_no_transfer(tags_of, title, text):
    assert "arms_transfer" not in tags_of(title, text)


@pytest.mark.parametrize(
    ("title", "text"),
    [
        ("Aid", "Canada is sending more artillery shells to Ukraine."),
        ("Broker", "He tried to buy grenade launchers and rifles for a rebel group."),
    ],
)
def test_weapons_passing_to_a_party(tags_of, title, text):
    assert "arms_transfer" in tags_of(title, text)


@pytest.mark.parametrize(
    ("title", "text"),
    [
        ("Health", "Ottawa signed a new funding agreement with the provinces."),
        (
            "Talks",
            "The envoy said agreement on a roadmap was reached with all parties to the conflict.",
        ),
    ],
)
def test_no_agreement_between_states(tags_of, title, text):
    assert "treaty_reaffirmation" not in tags_of(title, text)


@pytest.mark.parametrize(
    ("title", "text"),
    [
        ("Election", "The president visited a rival's stronghold as the run-off campaign began."),
        ("Unrest", "Attacks have increased since a visit by the premier in March."),
    ],
)
def test_domestic_trips_are_no_visit(tags_of, title, text):
    assert "diplomatic_visit" not in tags_of(title, text)


def test_visit_abroad_still_counts(tags_of):
    assert "diplomatic_visit" in tags_of(
        "President in Chile", "The Korean president began an official visit to Chile."
    )


def test_verb_sanction(tags_of):
    assert "sanctions" in tags_of(
        "Profile", "EU ministers are proposing to sanction the general's brother."
    )


@pytest.mark.parametrize(
    ("title", "text"),
    [
        ("North Korea unveils new submarine-launched missile", ""),
        ("Contract", "The firm won a contract to protect airliners from shoulder-fired missiles."),
    ],
)
def test_missiles_shown_or_sold_are_no_test(tags_of, title, text):
    assert "missile_test" not in tags_of(title, text)
