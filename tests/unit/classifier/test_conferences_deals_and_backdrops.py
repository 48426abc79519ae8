"""General patterns of taxonomy-2026.11.4: climate conferences, cancelled and
unofficial visits, company and party deals, civil-war and UN-agency
agreements, sanctions as backdrop or in another sense, negated and named
troop movements, surplus sales, weapon flows. Sentences written for these
tests."""

from __future__ import annotations

import pytest
from watchfloor.services.classifier.modality import decide

from tests.unit.classifier.support import tags as _tags

# ---- diplomatic_visit -------------------------------------------------------


@pytest.mark.parametrize(
    "title",
    [
        "Nations must cut emissions faster at climate summit, PM says",
        "Pledges hard to win before COP27 summit, minister warns",
        "Chancellor scraps stadium visit after row with football body",
        "President calls off planned trip to the coast",
        "Interview with the Speaker gets a surprise visit from his dog",
        "Officials had visited the home twice before the boy was found",
        "Report describes a summit of terrorists planning new attacks on the US",
    ],
)
def test_no_diplomatic_visit(tags_of, title):
    assert "diplomatic_visit" not in tags_of(title)


@pytest.mark.parametrize(
    "title",
    [
        "Japanese prime minister arrives in Wellington for security talks",
        "Leaders gather for G20 summit in Rome",
    ],
)
def test_diplomatic_visit_still_found(tags_of, title):
    assert "diplomatic_visit" in tags_of(title)


def test_queen_visiting_a_ship_in_a_home_port_is_domestic(full_classifier):
    title = "The King has been visiting a navy frigate docked in Portsmouth"
    assert "diplomatic_visit" not in _tags(full_classifier, title)


def test_visit_to_a_restive_province_is_domestic(full_classifier):
    title = (
        "Grenade attack injures six before the Philippine president's visit to the restive province"
    )
    assert "diplomatic_visit" not in _tags(full_classifier, title)


def test_visit_to_a_region_of_the_state_in_the_gazetteer_is_domestic(full_classifier):
    title = "Russian President makes an unannounced visit to Grozny"
    assert "diplomatic_visit" not in _tags(full_classifier, title)


def test_visiting_foreign_leader_is_still_a_visit(full_classifier):
    title = "Visiting prime minister of Japan tours a shipyard in Glasgow"
    assert "diplomatic_visit" in _tags(full_classifier, title)


# ---- treaty_reaffirmation ---------------------------------------------------


@pytest.mark.parametrize(
    "title",
    [
        "Kenya Airways and a Gulf carrier sign a strategic alliance",
        "A new agreement between two software makers brings Wi-Fi to planes",
        "Ruling party seals pact with rival political group to dominate parliament",
        "UN mediator secures agreement from every faction in the nation's civil war",
        "Government and the UN refugee agency sign an agreement on returns",
        "Northern region says committed to observing the ceasefire",
        "Lawmakers still have not clinched a deal on the budget bill",
        "The 1938 pact signed with Hitler still haunts leaders",
    ],
)
def test_no_treaty_reaffirmation(tags_of, title):
    assert "treaty_reaffirmation" not in tags_of(title)


@pytest.mark.parametrize(
    "title",
    [
        "Blasts hit Ukrainian port a day after the grain deal",
        "Japan and Canada sign a defence pact",
    ],
)
def test_treaty_reaffirmation_still_found(tags_of, title):
    assert "treaty_reaffirmation" in tags_of(title)


# ---- sanctions --------------------------------------------------------------


@pytest.mark.parametrize(
    "title",
    [
        "Critics call the rallies Republican-sanctioned displays of anger",
        "Refugees were bussed to the frontier in retaliation over EU sanctions, Vilnius claims",
        "Shares fall amid economic sanctions and a pipeline dispute",
        "Retired grandmaster, wanted for defying sanctions decades ago, is arrested in Tokyo",
    ],
)
def test_no_sanctions(tags_of, title):
    assert "sanctions" not in tags_of(title)


def test_sanctions_action_still_found(tags_of):
    assert "sanctions" in tags_of("EU imposes new sanctions on Belarus officials")


# ---- troop_deployment -------------------------------------------------------


def test_without_boots_on_the_ground_is_no_deployment(tags_of):
    title = "Planners favour air strikes without American boots on the ground"
    assert "troop_deployment" not in tags_of(title)


def test_conditional_pullback_demand_is_no_deployment(tags_of):
    text = "His fighters are prepared to vacate the mosque if foreign forces pull back, a spokesman says."
    assert "troop_deployment" not in tags_of("Cleric sets terms", text)


@pytest.mark.parametrize(
    "title",
    [
        "Policy still unsettled as the withdrawal from Afghanistan nears its end",
        "Unrest spreads as troops from a regional military bloc begin operations",
    ],
)
def test_named_withdrawal_and_arriving_bloc_troops(tags_of, title):
    assert "troop_deployment" in tags_of(title)


# ---- arms_transfer ----------------------------------------------------------


def test_surplus_garage_sale_is_no_arms_transfer(tags_of):
    title = "Mayor auctions off surplus city property, from helicopters to filing cabinets"
    assert "arms_transfer" not in tags_of(title)


@pytest.mark.parametrize(
    "title",
    [
        "Moscow vows to stop the flow of weapons from the West to Kyiv",
        "The latest aid package for Kyiv will contain an anti-drone system",
    ],
)
def test_weapon_flows_and_package_contents_are_transfers(tags_of, title):
    assert "arms_transfer" in tags_of(title)


def test_trafficked_guns_are_no_state_transfer(tags_of):
    title = "Mexico urges Washington to halt the flow of weapons trafficked into its territory"
    assert "arms_transfer" not in tags_of(title)


# ---- nuclear_activity -------------------------------------------------------


def test_right_to_peaceful_technology_is_no_weapons_development(tags_of):
    title = "Minister insists the nation will keep its right to nuclear technology for peaceful purposes"
    assert "nuclear_activity" not in tags_of(title)


def test_expectation_is_not_a_denial_of_the_event():
    sentence = "seoul did not expect news that scientists enriched uranium to upset talks"
    cue = sentence.index("did not")
    trigger = sentence.index("enriched")
    modality, negated = decide([("denied", "before", cue, cue + 7)], trigger, sentence)
    assert modality != "denied" and not negated


def test_denial_still_denies():
    sentence = "tehran did not enrich uranium last year, officials insist"
    cue = sentence.index("did not")
    trigger = sentence.index("enrich")
    modality, _ = decide([("denied", "before", cue, cue + 7)], trigger, sentence)
    assert modality == "denied"
