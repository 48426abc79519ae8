"""History and capability are not events; evidence prefers the sentence that
states the event; arms-transfer phrasings (sentences written for these tests)."""

from __future__ import annotations

import pytest
from watchfloor.services.classifier.taxonomy import parse_taxonomy


@pytest.mark.parametrize(
    ("title", "tag"),
    [
        ("Country X has conducted several missile tests in recent years", "missile_test"),
        (
            "Country X, a country that has carried out six nuclear tests, warned its neighbour",
            "nuclear_activity",
        ),
        ("The bomber is capable of carrying nuclear weapons", "nuclear_activity"),
        ("Country X test-fired a missile capable of carrying nuclear weapons", "nuclear_activity"),
        ("The state has staged missile tests over the years", "missile_test"),
    ],
)
def test_background_is_not_an_event(tags_of, title, tag):
    assert tag not in tags_of(title)


@pytest.mark.parametrize(
    ("title", "tag"),
    [
        ("Talks resumed following Pyongyang's missile launches on Tuesday", "missile_test"),
        ("Country X test-fired a missile capable of carrying nuclear weapons", "missile_test"),
        ("Country X could carry out nuclear tests at any time, officials warn", "nuclear_activity"),
        ("Country X tested a missile on Sunday, its first test in two years", "missile_test"),
    ],
)
def test_specific_events_still_count(tags_of, title, tag):
    assert tag in tags_of(title)


def test_evidence_prefers_the_event_over_background(classifier):
    result = classifier.classify(
        "Country X denies testing missile after foreign officials report launch",
        "Officials of Country Y said sensors detected a launch near the coast. "
        "Country X has conducted several missile tests in recent years.",
    )
    (match,) = [t for t in result.tags if t.tag == "missile_test"]
    assert match.evidence.startswith("Country X denies testing missile")
    assert match.modality in ("denied", "reported")


def test_background_sentence_adds_no_support(classifier):
    event = "Country X test-fired a cruise missile on Monday"
    alone = classifier.classify(event, "")
    with_history = classifier.classify(
        event, "Country X has conducted several missile tests in recent years."
    )
    assert alone.tags[0].confidence == with_history.tags[0].confidence


def test_background_section_is_validated():
    text = """
version: t
background: {before: [capable of], later: [x]}
tags:
  a_tag:
    rules: [{confidence: 0.8, trigger: [word]}]
"""
    with pytest.raises(ValueError, match="background"):
        parse_taxonomy(text)


@pytest.mark.parametrize(
    "title",
    [
        "Country X agreed to buy 40 fighter jets from Country Y",
        "Country X will receive the first batch of tanks next month",
        "Country X handed over six armoured vehicles to Country Y's army",
        "The new package includes anti-tank missiles and artillery rounds",
        "Country Y approved the sale of 66 fighter jets to Country X",
        "Country Y announced military aid including howitzers and drones",
        "Rebels were supplied with rifles and mortars by a neighbouring state",
        "Country X will lease two submarines from Country Y",
        "Country X took delivery of the first of 12 fighter jets",
        "Country Y pledged a further $2bn of military support for Country X",
        "Country Y promised cutting-edge weapons to Country X",
    ],
)
def test_arms_transfer_phrasings(tags_of, title):
    assert "arms_transfer" in tags_of(title)


@pytest.mark.parametrize(
    "title",
    [
        "The militia's ranks include a schoolteacher who drives a tank",
        "The army will soon unveil a heat-ray weapon meant to disperse crowds",
        "The president put his forces, nuclear arms among them, on high alert",
    ],
)
def test_not_arms_transfers(tags_of, title):
    assert "arms_transfer" not in tags_of(title)
