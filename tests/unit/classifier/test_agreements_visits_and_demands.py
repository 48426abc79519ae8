"""General patterns of taxonomy-2026.11.3: an agreement needs an act or its
named parties, domestic trips are no diplomatic visits, accusations and
demands are no events. Sentences written for these tests."""

from __future__ import annotations

import pytest

from tests.unit.classifier.support import tags as _tags


@pytest.mark.parametrize(
    "title",
    [
        "The border trade agreement must be rewritten at once, ministers say",
        "Heavy shelling shatters the fragile ceasefire deal",
        "Alliance summit: four questions facing the security alliance",
        "Campaigner promises jobs by enforcing trade agreements more strictly",
        "Regional-power-led military alliance to send monitors, officials say",
    ],
)
def test_bare_mention_of_an_agreement_is_no_reaffirmation(tags_of, title):
    assert "treaty_reaffirmation" not in tags_of(title)


@pytest.mark.parametrize(
    "title",
    [
        "Japan and Canada sign a defence pact in Ottawa",
        "Britain-India trade agreement: what is in it",
        "Two neighbours renew their security agreement for ten years",
    ],
)
def test_agreement_with_an_act_or_named_parties(tags_of, title):
    assert "treaty_reaffirmation" in tags_of(title)


def test_ceasefire_with_an_armed_group_is_not_between_states(tags_of):
    assert "treaty_reaffirmation" not in tags_of(
        "Israel and Hamas say ceasefire agreement reached after talks"
    )


@pytest.mark.parametrize(
    "title, text",
    [
        ("Zelensky visits front-line city of Kharkiv", "The president met soldiers there."),
        ("Prime minister visits Glasgow shipyard", "He toured the yard with workers in Scotland."),
    ],
)
def test_visit_inside_the_leaders_own_country_is_not_diplomatic(full_classifier, title, text):
    assert "diplomatic_visit" not in _tags(full_classifier, title, text)


@pytest.mark.parametrize(
    "title",
    [
        "French President Macron visits Kharkiv",
        "Zelensky to visit Washington for talks with Biden",
        "Biden arrives in Geneva for talks",
    ],
)
def test_foreign_visits_stay_visits(full_classifier, title):
    assert "diplomatic_visit" in _tags(full_classifier, title)


def test_domestic_trip_with_a_foreign_counterpart_counts(full_classifier):
    assert "diplomatic_visit" in _tags(
        full_classifier, "Ukrainian president visits Lviv to meet his counterpart from abroad"
    )


@pytest.mark.parametrize(
    "title",
    [
        "Police say the robbers were armed with rifles and knives",
        "Defector speaks of accusations of illegal arms deals by the regime",
    ],
)
def test_arms_without_a_transfer(tags_of, title):
    assert "arms_transfer" not in tags_of(title)


def test_demand_by_an_armed_group_is_no_deployment(tags_of):
    assert "troop_deployment" not in tags_of(
        "Hostage video: militants say the country must withdraw its troops within days"
    )


def test_keeping_troops_somewhere_is_a_deployment(tags_of):
    assert "troop_deployment" in tags_of(
        "Country X keeps troops in neighbouring state after drills"
    )


def test_coast_guard_manoeuvring_is_no_exercise(tags_of):
    assert "military_exercise" not in tags_of(
        "Ministry protests coast guard ship's close distance maneuvering near the shoal"
    )


def test_weapons_inspector_alone_is_no_nuclear_activity(tags_of):
    assert "nuclear_activity" not in tags_of(
        "Former weapons inspector says the regime evaded the embargo with bribes"
    )
