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
        ("Jets", "Britain said it would deploy four Harrier jets to the Gulf."),
    ],
)
def test_broad_troop_movements(tags_of, title, text):
    assert "troop_deployment" in tags_of(title, text)


@pytest.mark.parametrize(
    ("title", "text"),
    [
        ("Survivor", "He was held by Russian troops for several days and left in a ditch."),
        ("Drill", "The army is holding a drill to prepare troops for potential conflict."),
        ("Patrol", "Troops stepped up attacks on the steel plant."),
        ("Protest", "Videos show tanks retreating and locals telling soldiers to go home."),
    ],
)
def test_no_troop_movement(tags_of, title, text):
    assert "troop_deployment" not in tags_of(title, text)


@pytest.mark.parametrize(
    ("title", "text"),
    [
        ("Front line", "Marines give reporters a close-up look at their newest weapon."),
        ("Refugees", "Norway opens its arms to families fleeing the war."),
        ("Swap", "Washington offered a jailed arms dealer in exchange for the release of two men."),
        ("Europe urged to keep ban on arms sales to the junta", ""),
        ("Show", "A reporter was given a tour of the weapons depot."),
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
            "The mediator said agreement on a plan was reached with all parties in the conflict.",
        ),
    ],
)
def test_no_agreement_between_states(tags_of, title, text):
    assert "treaty_reaffirmation" not in tags_of(title, text)


@pytest.mark.parametrize(
    ("title", "text"),
    [
        ("Election", "The president visited a rival's stronghold as the run-off campaign began."),
        ("Unrest", "Violence has risen since a visit by the prime minister last month."),
    ],
)
def test_domestic_trips_are_no_visit(tags_of, title, text):
    assert "diplomatic_visit" not in tags_of(title, text)


def test_visit_abroad_still_counts(tags_of):
    assert "diplomatic_visit" in tags_of(
        "President in Chile", "The Korean president began an official visit to Chile."
    )


def test_verb_sanction(tags_of):
    assert "sanctions" in tags_of("Profile", "The EU is proposing to sanction the minister's wife.")


@pytest.mark.parametrize(
    ("title", "text"),
    [
        ("North Korea unveils new submarine-launched missile", ""),
        ("Contract", "The firm won a contract to protect airliners from shoulder-fired missiles."),
    ],
)
def test_missiles_shown_or_sold_are_no_test(tags_of, title, text):
    assert "missile_test" not in tags_of(title, text)
