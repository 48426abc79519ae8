"""General mechanisms of taxonomy-2026.11.5: clause-scoped modality and
conditionals, reported future, threatened sanctions, civil versus military
contexts, a state's own forces versus a transfer, presence versus movement.
Sentences written for these tests."""

from __future__ import annotations

import pytest
from watchfloor.services.classifier.engine import Classifier
from watchfloor.services.classifier.taxonomy import TaxonomyError, parse_taxonomy

from tests.unit.classifier.support import tags as _tags


def _modality(classifier: Classifier, tag: str, title: str, text: str = "") -> str:
    for match in classifier.classify(title, text).tags:
        if match.tag == tag:
            return match.modality
    raise AssertionError(f"{tag} not found")


# ---- modality: reported future, conditionals by clause ----------------------


def test_would_after_a_verb_of_saying_is_a_reported_plan(tags_of, classifier):
    text = "Officials said they were confident the two countries would hold talks on the nuclear dispute."
    assert "nuclear_activity" in tags_of("Envoys upbeat", text)
    assert _modality(classifier, "nuclear_activity", "Envoys upbeat", text) == "planned"


@pytest.mark.parametrize(
    "text",
    [
        # a consequence, not reported speech
        "Leaders may sign a decree next spring, a move that would deploy thousands of troops to the border.",
        # a leading conditional governs the main clause after its comma
        "If the talks fail, the alliance would send troops to the region.",
        # a call by a third party is no plan of the state
        "The senator says the country should send troops to the border.",
    ],
)
def test_consequences_conditions_and_calls_stay_hypothetical(classifier, text):
    assert _modality(classifier, "troop_deployment", "Options", text) == "hypothetical"


def test_trailing_conditional_governs_only_its_own_clause(tags_of):
    text = (
        "The minister assured his ally that his country would come to its aid if invaded, "
        "renewing its commitment to their mutual defence treaty."
    )
    assert "treaty_reaffirmation" in tags_of("Minister reassures ally", text)


def test_veto_word_inside_an_if_clause_vetoes_nothing(tags_of):
    text = "Both governments reaffirmed their defence pact and pledged mutual help if attacked."
    assert "treaty_reaffirmation" in tags_of("Allies renew pledge", text)


def test_modal_word_far_from_the_event_does_not_set_its_modality(classifier):
    # "will" is a sanction-action word too; the event is the new sanctions
    text = (
        "The minister will travel on Monday, and the bloc might adopt new sanctions on the regime."
    )
    assert _modality(classifier, "sanctions", "Bloc weighs steps", text) == "planned"
    assert "sanctions" in classifier.classify("Bloc weighs steps", text).tag_ids


@pytest.mark.parametrize(
    "text",
    [
        "The opposition leader says the government should impose tough sanctions on the regime.",
        "The report warns the country could be hit with oil sanctions if it keeps blocking inspectors.",
    ],
)
def test_called_for_and_possible_sanctions_count(tags_of, text):
    assert "sanctions" in tags_of("Pressure mounts", text)


def test_hypothetical_counts_must_be_a_boolean():
    bad = """
version: t
tags:
  sanctions:
    hypothetical_counts: maybe
    rules:
      - {id: r, confidence: 0.8, trigger: [sanctions]}
"""
    with pytest.raises(TaxonomyError, match="hypothetical_counts must be true or false"):
        parse_taxonomy(bad)


# ---- nuclear: civil and topical mentions, missile tests, alert postures ------


@pytest.mark.parametrize(
    "title",
    [
        "Atomic watchdog warns of danger at shelled power plant",
        "Exiled official discusses the nuclear issue in a long interview",
        "Country test-fires nuclear missile over the sea",
    ],
)
def test_not_nuclear_activity(tags_of, title):
    assert "nuclear_activity" not in tags_of(title)


def test_nuclear_forces_on_alert_is_nuclear_not_troops(tags_of):
    tags = tags_of(
        "Papers react", "Overnight the premier ordered the nation's nuclear forces onto high alert."
    )
    assert "nuclear_activity" in tags
    assert "troop_deployment" not in tags


def test_urged_to_renounce_nuclear_weapons(tags_of):
    text = (
        "The foreign minister is in the capital, urging the government to renounce nuclear weapons."
    )
    assert "nuclear_activity" in tags_of("Minister in talks", text)


# ---- troops: presence, not movement; the National Guard is military ---------


@pytest.mark.parametrize(
    "text",
    [
        "Peacekeepers deployed in the enclave plan to register weapons held by local militias.",
        "Reporters found burned cars on the road where soldiers had stationed armoured vehicles.",
    ],
)
def test_forces_already_present_are_no_deployment(tags_of, text):
    assert "troop_deployment" not in tags_of("Report from the region", text)


def test_national_guard_troops_fanning_out_for_relief(tags_of):
    text = "National Guard troops fanned out across the state to deliver water to storm victims."
    assert "troop_deployment" in tags_of("Relief effort", text)


# ---- arms: a state's own jets; accusations; missile word in a nuclear test ---


def test_air_force_sending_its_own_jets_is_no_transfer(tags_of):
    tags = tags_of("Air Force will send six fighter jets to Alaska for drills")
    assert "arms_transfer" not in tags


def test_accusations_of_arms_deals_are_no_transfer(tags_of):
    text = "The former minister's son, long dogged by allegations of shady arms deals, was charged."
    assert "arms_transfer" not in tags_of("Son charged", text)


def test_nuclear_weapons_test_speculation_is_no_missile_test(tags_of):
    text = "Seismologists said the tremor was probably not a nuclear weapons test."
    assert "missile_test" not in tags_of("Blast puzzles observers", text)


def test_founder_rocket_test_is_civilian(tags_of):
    assert "missile_test" not in tags_of("Elon Musk: rocket test went badly")


def test_test_prone_state_watched_the_launch(tags_of):
    text = "Kim Jong Un watched the launch of the new weapon, state media said."
    assert "missile_test" in tags_of("North Korea shows off weapon", text)


# ---- treaties: ceasefires between states, company purchases ------------------


def test_states_agree_ceasefire_after_a_clash(tags_of):
    title = "Two neighbours agree ceasefire after deadly border clash"
    text = "India and Pakistan agreed to a ceasefire along their frontier after the shooting."
    assert "treaty_reaffirmation" in tags_of(title, text)


def test_ceasefire_with_an_armed_group_is_not_between_states(tags_of):
    text = "Israel agreed a truce with Hamas after days of fighting."
    assert "treaty_reaffirmation" not in tags_of("Truce in Gaza", text)


@pytest.mark.parametrize(
    "text",
    [
        "The grocery chain reached an agreement to buy a Japanese competitor for $25 million.",
        "A pension fund struck a deal with its owners to purchase an office tower in Chicago.",
    ],
)
def test_business_purchases_are_no_treaty(tags_of, text):
    assert "treaty_reaffirmation" not in tags_of("Purchase agreed", text)


# ---- visits: own government and army, generic summits; states' talks --------


@pytest.mark.parametrize(
    ("title", "text"),
    [
        (
            "Czech president unwell",
            "The Czech president was taken to hospital a day after holding talks with the "
            "nation's outgoing prime minister.",
        ),
        ("Defence minister will meet army chiefs about bullying reports", ""),
        (
            "Beijing's stance",
            "At international summits and in speeches, Indian diplomats have avoided taking sides.",
        ),
    ],
)
def test_not_a_diplomatic_visit(full_classifier, title, text):
    assert "diplomatic_visit" not in _tags(full_classifier, title, text)


def test_two_states_holding_talks(full_classifier):
    text = "On the eve of the vote, the United States and China held last-minute talks."
    assert "diplomatic_visit" in _tags(full_classifier, "Council to vote", text)
