"""Breadth of taxonomy-2026.11.9: who the parties must be and which senses
count for diplomatic_visit, treaty_reaffirmation and sanctions. A visit or
meeting needs officials of different states (not a pop group, a diaspora
group, a leader's own aides or devolved leaders); an agreement needs states
(not brands, a breakaway republic or a Gaza armed group) and must be made now
(not one in force); sanctions are measures of states (not an awards academy
or a sports body). Sentences written for these tests."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize(
    ("title", "text"),
    [
        ("Trip", "The Dutch prime minister is on a working visit to Jakarta this week."),
        ("Asia", "Japan's foreign minister touched down in Manila on Sunday."),
        ("Tour", "The Brazilian president set off for Beijing on his first trip abroad."),
        (
            "Talks",
            "The Indian premier held talks with his counterpart on the sidelines of the forum.",
        ),
    ],
)
def test_visit_phrasings(tags_of, title, text):
    assert "diplomatic_visit" in tags_of(title, text)


@pytest.mark.parametrize(
    ("title", "text"),
    [
        ("Visit", "The boy band met the president at the White House to talk about music."),
        ("Policy", "The president met Mexican-American leaders to discuss the border bill."),
        ("Politics", "The prime minister will meet the first ministers of the devolved nations."),
        ("Brexit", "The prime minister faces a hard road in Brexit deal talks this autumn."),
        ("Defence", "The president said the plan would help meet new threats, officials added."),
        ("Memoir", "In her book the aide recalls a presidential visit to Europe in 2018."),
        ("Travel", "The first minister said pandemic rules allow only essential travel."),
    ],
)
def test_not_a_diplomatic_visit(tags_of, title, text):
    assert "diplomatic_visit" not in tags_of(title, text)


@pytest.mark.parametrize(
    ("title", "text"),
    [
        ("Pact", "Vietnam and Indonesia hammered out a deal on their maritime border."),
        ("Ties", "India and Australia upgraded ties to a comprehensive strategic partnership."),
        ("Accord", "The foreign ministers of Chile and Peru put pen to paper on a new treaty."),
    ],
)
def test_treaty_phrasings(tags_of, title, text):
    assert "treaty_reaffirmation" in tags_of(title, text)


@pytest.mark.parametrize(
    ("title", "text"),
    [
        ("Payments", "The US restaurant chain signed an agreement with a card payment network."),
        ("Music", "Two US-based music giants have signed an agreement on streaming rights."),
        ("Truce", "Moldova and the breakaway republic reached an agreement on a truce."),
        ("Truce", "Israel says a deal to restore quiet in Gaza takes effect at midnight."),
        ("Climate", "Under the Paris agreement, signatories agreed to cut carbon output."),
        (
            "Relations",
            "As the alliance between Japan and the Philippines grows stronger, China is uneasy.",
        ),
    ],
)
def test_not_a_treaty(tags_of, title, text):
    assert "treaty_reaffirmation" not in tags_of(title, text)


@pytest.mark.parametrize(
    ("title", "text"),
    [
        ("US and allies sanction Belarus officials", ""),
        ("Ban", "The EU is banning Russian ships from its ports from next week."),
        ("Arms", "Leaders in Europe were told to keep the arms sales ban on China."),
        ("Yacht", "Italy seized a superyacht linked to a Russian oligarch on Friday."),
        ("Measures", "Canada added twelve Iranian officials to its blacklist on Monday."),
    ],
)
def test_sanction_phrasings(tags_of, title, text):
    assert "sanctions" in tags_of(title, text)


@pytest.mark.parametrize(
    ("title", "text"),
    [
        ("Awards", "The academy voted to sanction the actor after the awards show."),
        ("Golf", "The tour's board voted to sanction players who joined the rival league."),
        ("Economy", "Trump-era sanctions and covid restrictions have hurt Cuba's economy."),
    ],
)
def test_not_sanctions(tags_of, title, text):
    assert "sanctions" not in tags_of(title, text)
