"""Hard cases of the tag definitions, on sentences written for these tests."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize(
    ("title", "text"),
    [
        ("Pyongyang test-fires new intercontinental ballistic missile", ""),
        ("Country X fires two short-range missiles into the sea", "The launches were the third this month."),
        ("Navy conducts successful flight test of hypersonic cruise missile", ""),
        ("Regional news", "A ballistic missile was launched by the North toward the Sea of Japan on Tuesday."),
    ],
)
def test_missile_tests_are_tagged(tags_of, title, text):
    assert "missile_test" in tags_of(title, text)


@pytest.mark.parametrize(
    ("title", "text"),
    [
        ("Missile strike kills six in eastern city", "Russian forces fired cruise missiles at residential buildings overnight."),
        ("Space agency launches weather satellite", "The rocket lifted off from the coast carrying a research payload for NASA."),
        ("Rockets beat Spurs 101-95", "The Houston Rockets won their fourth game in a row as the center scored 31 points."),
        ("Phone maker launches new flagship", "The company launched its new smartphone, which it says will test rivals."),
    ],
)
def test_strikes_space_sports_and_products_are_not_missile_tests(tags_of, title, text):
    assert "missile_test" not in tags_of(title, text)


def test_troop_deployment_in_active_and_passive_voice(tags_of):
    assert "troop_deployment" in tags_of("Minister orders 3,000 soldiers deployed to the northern border")
    assert "troop_deployment" in tags_of("Update", "Two battalions were sent to the region on Friday.")
    assert "troop_deployment" in tags_of("Government to withdraw its troops from the mission by June")


def test_troops_as_background_are_not_a_deployment(tags_of):
    text = "The country, home to 40,000 foreign soldiers, said the talks had stalled. Clashes killed three soldiers."
    assert "troop_deployment" not in tags_of("Budget row deepens", text)
    assert "troop_deployment" not in tags_of("Police deployed to control crowds at the final")


def test_treaty_reaffirmation_and_withdrawal(tags_of):
    assert "treaty_reaffirmation" in tags_of("Two neighbours sign defence pact", "The ministers of France and Spain signed the treaty in Paris.")
    assert "treaty_reaffirmation" in tags_of("Leaders reaffirm commitment to the alliance", "Japan and the United States reaffirmed their security treaty.")
    assert "treaty_reaffirmation" not in tags_of("Country withdraws from arms control treaty", "The president said Russia would pull out of the treaty.")
    assert "treaty_reaffirmation" not in tags_of("Firm signs supply deal", "The company signed a contract with a chip maker.")


def test_other_tags(tags_of):
    assert tags_of("Navies hold joint drills in the South China Sea") == ["military_exercise"]
    assert "arms_transfer" in tags_of("Washington approves sale of fighter jets to ally")
    assert "diplomatic_visit" in tags_of("Foreign minister arrives in Tokyo for talks with counterpart")
    assert "nuclear_activity" in tags_of("Inspectors report Iran expanded uranium enrichment")
    assert "sanctions" in tags_of("EU imposes new sanctions on oligarchs")
    assert "sanctions" not in tags_of("League fines club", "The officially sanctioned event went ahead.")
    assert "nuclear_activity" not in tags_of("Nuclear power plant to close", "The nuclear power station will shut in 2030.")


def test_unrelated_text_gets_no_tags(tags_of):
    assert tags_of("Bakery wins award", "The shop sells bread and cakes.") == []
    assert tags_of("", "") == []
