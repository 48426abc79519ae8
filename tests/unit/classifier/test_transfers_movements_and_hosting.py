"""General fixes of taxonomy-2026.11.7: weapons with no passing between
states; troop movements in nominal form and presence; hosting phrasings and
video calls for visits; armed groups, background membership and "X-Y pact"
headlines for agreements. Sentences written for these tests."""

from __future__ import annotations

import pytest

# ---- 1. arms_transfer: weapons that pass between no states -----------------


@pytest.mark.parametrize(
    ("title", "text"),
    [
        ("Gun bill", "The bill would ban sales of semi-automatic rifles to under-21s."),
        ("Border shooting", "Guards fired on men they mistook for arms smugglers."),
        ("Defence overhaul", "The cabinet will relax an arms exports ban next year."),
        ("Allies on alert", "The allies are sending extra ships and fighter jets to the Baltic."),
        ("Volunteers", "Pupils are taught about weapons, bandaging wounds and using radios."),
        ("Art sale", "Her grandfather grew rich selling arms to the Nazis."),
    ],
)
def test_weapons_with_no_transfer_between_states(tags_of, title, text):
    assert "arms_transfer" not in tags_of(title, text)


@pytest.mark.parametrize(
    ("title", "text"),
    [
        ("Cargo flights", "State cargo planes ferried weapons to a neighbouring army."),
        ("Shipment", "Officials said the regime smuggled rifles to the rebels."),
        ("Air force", "The government is looking to buy fighter jets from France."),
    ],
)
def test_weapons_carried_between_states(tags_of, title, text):
    assert "arms_transfer" in tags_of(title, text)


# ---- 2. troop_deployment: nominal movements, presence ----------------------


@pytest.mark.parametrize(
    ("title", "text"),
    [
        ("Senator attacks plan to recall troops", ""),
        ("Alliance weighs keeping forces in the region beyond the deadline", ""),
        ("Papers", "Front pages lead with more Nato troops in the Baltics."),
        ("Raid", "Helicopters dropped commandos into the mountain district at dawn."),
        ("Recruits", "Recruits are paid bonuses to be deployed to the front."),
        ("Governor moves to deploy the National Guard to help understaffed nursing homes", ""),
    ],
)
def test_nominal_and_extended_troop_movements(tags_of, title, text):
    assert "troop_deployment" in tags_of(title, text)


@pytest.mark.parametrize(
    ("title", "text"),
    [
        ("Air policing", "Allied jets stationed in the region scrambled twice to shadow bombers."),
        ("Front", "Artillery crews say the arrival of new weapons explains the quieter front."),
        ("Unrest", "Two years after the peacekeepers arrived, the ceasefire is fraying."),
        ("Speech", "He doubled down, sending his forces to bomb shelters and hospitals."),
    ],
)
def test_presence_history_and_weapons_are_no_troop_movement(tags_of, title, text):
    assert "troop_deployment" not in tags_of(title, text)


# ---- 3. diplomatic_visit: hosting phrasings, video calls -------------------


@pytest.mark.parametrize(
    ("title", "text"),
    [
        (
            "Old friends",
            "The premier has been playing vacation host to the British prime minister.",
        ),
        ("Warm welcome for the president in Manama", ""),
        ("Tour", "The foreign minister was greeted by crowds on his arrival in Hanoi."),
    ],
)
def test_hosting_and_arrival_phrasings_are_visits(tags_of, title, text):
    assert "diplomatic_visit" in tags_of(title, text)


@pytest.mark.parametrize(
    ("title", "text"),
    [
        ("Appeal", "The president asked US lawmakers for aid in a Zoom meeting on Sunday."),
        (
            "Industry",
            "The defence minister held a meeting with the CEOs of defence companies.",
        ),
    ],
)
def test_video_calls_and_industry_meetings_are_no_visits(tags_of, title, text):
    assert "diplomatic_visit" not in tags_of(title, text)


# ---- 4. treaty_reaffirmation: armed groups, background, headline pacts -------


@pytest.mark.parametrize(
    ("title", "text"),
    [
        ("Truce", "The Houthi movement and the Saudi-led alliance agreed on a sixty-day truce."),
        (
            "Najaf",
            "Fighting continued even though the cleric had signed a peace deal in which he agreed to disarm his militia.",
        ),
        (
            "Drills",
            "The exercise includes India and Japan, who have joined Washington in the Quad.",
        ),
        ("Allies", "His allies are deepening the wedge between the alliance's member states."),
        ("Press", "The president gave a speech in the Treaty Room of the White House."),
    ],
)
def test_no_agreement_between_states(tags_of, title, text):
    assert "treaty_reaffirmation" not in tags_of(title, text)


@pytest.mark.parametrize(
    ("title", "text"),
    [
        ("Papers lead with an EU-UK pact on shipping insurance", ""),
        ("Japan-Australia accord on the way", ""),
    ],
)
def test_pact_named_by_two_states_is_an_agreement(tags_of, title, text):
    assert "treaty_reaffirmation" in tags_of(title, text)
