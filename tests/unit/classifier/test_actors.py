"""Actors from sentences written for these tests."""

from __future__ import annotations

import pytest
from watchfloor.services.classifier.actors import ActorExtractor
from watchfloor.services.classifier.gazetteer import Gazetteer


@pytest.fixture(scope="module")
def extractor() -> ActorExtractor:
    return ActorExtractor(Gazetteer.load())


def ids(extractor: ActorExtractor, title: str, text: str = "") -> list[str]:
    return [actor.id for actor in extractor.extract(title, text)]


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        ("North Korean state media praised the new rocket unit.", "KP"),
        ("Pyongyang said the drills were a rehearsal for invasion.", "KP"),
        ("Moscow rejected the proposal on Tuesday.", "RU"),
        ("Washington is weighing a reply to the launch.", "US"),
        ("Seoul called an emergency security meeting.", "KR"),
        ("The Kremlin denied any plan to move troops.", "RU"),
        ("Officials in Kyiv and in Kiev said the same thing.", "UA"),
    ],
)
def test_names_capitals_and_adjectives_give_countries(extractor, sentence, expected) -> None:
    assert ids(extractor, sentence) == [expected]


def test_person_brings_their_country(extractor) -> None:
    actors = extractor.extract("Kim Jong Un oversees a test", "The leader watched from a hill.")
    assert [(a.id, a.kind) for a in actors] == [("kim-jong-un", "person"), ("KP", "country")]
    person, country = actors
    assert person.country == "KP" and person.mentions == ["Kim Jong Un"]
    assert country.mentions == ["Kim Jong Un"]


def test_organisations(extractor) -> None:
    actors = extractor.extract(
        "NATO and the UN back IAEA visit",
        "The United Nations and Nato asked the International Atomic Energy Agency to go.",
    )
    assert [(a.id, a.kind) for a in actors] == [
        ("NATO", "organisation"),
        ("UN", "organisation"),
        ("IAEA", "organisation"),
    ]
    assert actors[0].mentions == ["NATO", "Nato"]


def test_word_boundaries(extractor) -> None:
    assert ids(extractor, "A woman from the coast spoke to reporters.") == []
    assert ids(extractor, "Oman hosted the talks.") == ["OM"]
    actors = extractor.extract("Iranian officials said Iran would respond.", "")
    assert [(a.id, a.mentions) for a in actors] == [("IR", ["Iranian", "Iran"])]


def test_longest_name_wins(extractor) -> None:
    assert ids(
        extractor, "South Sudan and Sudan met; North Korean and South Korean envoys too."
    ) == [
        "SS",
        "SD",
        "KP",
        "KR",
    ]
    assert ids(extractor, "The Washington Post reported it.") == []


def test_ambiguous_names_need_context(extractor) -> None:
    assert ids(extractor, "Chad Smith scored twice for the visitors.") == []
    assert ids(extractor, "Troops from Chad crossed the border.") == ["TD"]
    assert ids(extractor, "Michael Jordan and Jordan Henderson played golf.") == []
    assert ids(extractor, "Jordan closed its border with Syria.") == ["JO", "SY"]
    assert ids(extractor, "They roasted a turkey for dinner.") == []
    assert ids(extractor, "A storm hit Georgia overnight.") == []
    assert ids(extractor, "Georgia accused separatists; Tbilisi wants talks.") == ["GE"]


def test_weak_surname_needs_full_name_or_title(extractor) -> None:
    assert ids(extractor, "Johnson scored a late goal.") == []
    assert ids(extractor, "Mr Johnson told MPs the plan stands.") == ["boris-johnson", "GB"]
    assert "boris-johnson" in ids(extractor, "Boris Johnson spoke.", "Johnson said later.")


def test_guarded_surname_is_not_part_of_another_name(extractor) -> None:
    assert ids(extractor, "Reggie Bush ran for two touchdowns.") == []
    assert ids(extractor, "President Bush met Tony Blair.") == [
        "george-w-bush",
        "US",
        "tony-blair",
        "GB",
    ]


def test_dollar_amount_is_not_an_actor(extractor) -> None:
    assert ids(extractor, "A US$500m contract was signed.") == []


def test_find_gives_offsets_into_text(extractor) -> None:
    text = "Talks stalled. Putin met Erdogan in Ankara."
    found = extractor.find(text)
    assert [(text[s:e], a.id) for s, e, a in found] == [
        ("Putin", "vladimir-putin"),
        ("Erdogan", "recep-tayyip-erdogan"),
        ("Ankara", "TR"),
    ]
    assert found[0][2].country == "RU"


def test_title_case_headline_keeps_capitals(extractor) -> None:
    assert ids(extractor, "Seoul Warns Pyongyang Over New Missile Test") == ["KR", "KP"]


def test_lone_surname_of_a_relative_is_not_the_leader(extractor) -> None:
    assert ids(extractor, "Melania Trump opened an office.") == []
    assert ids(extractor, "Trump said he would run again.") == ["donald-trump", "US"]


def test_typographic_apostrophes_and_no_break_spaces_do_not_hide_a_name(extractor) -> None:
    # the gazetteer writes ' and spaces; news often has ’ and U+00A0
    assert ids(extractor, "Côte d’Ivoire sends 800 troops to Mali") == ["CI", "ML"]
    assert ids(extractor, "North\u00a0Korea fires two missiles") == ["KP"]
    [actor] = extractor.extract("North\u00a0Korea fires two missiles", "")
    assert actor.mentions == ["North\u00a0Korea"]  # shown as written


@pytest.mark.parametrize(
    ("title", "present"),
    [
        # a leader's name after a possessive, with a possessive, or after a title
        ("China's Xi arrives in Moscow for a state visit", {"xi-jinping", "CN", "RU"}),
        ("Biden's Kyiv visit surprises Ukrainians", {"joe-biden", "US", "UA"}),
        ("Biden\u2019s Kyiv visit surprises Ukrainians", {"joe-biden", "US", "UA"}),
        ("Secretary of State Blinken lands in Beijing for talks", {"antony-blinken", "US", "CN"}),
        ("King Charles begins a state visit to Kenya", {"king-charles-iii", "GB", "KE"}),
        ("The Pope visits Hungary", {"VA", "HU"}),
        ("He met the Pope Francis in Rome", {"pope-francis", "VA"}),
        ("Wildfires spread in British Columbia", {"CA"}),
    ],
)
def test_leaders_and_states_a_watchlist_matches_on_are_found(extractor, title, present) -> None:
    assert present <= set(ids(extractor, title))


@pytest.mark.parametrize(
    ("title", "absent"),
    [
        ("Michael Jordan's shoes sell out", "JO"),  # a name's possessive keeps the name whole
        ("Sales of Nike's Jordan sneakers rose", "JO"),  # only a state's possessive frees a name
        ("Chelsea's Wagner was injured in training", "WAGNER"),
        ("Representative Jordan questioned the witness", "JO"),
        ("Michigan State Jordan scored twelve points", "JO"),  # "of State" only frees a name
        ("NATO defence ministers meet in Brussels", "EU"),  # the place, not the EU acting
        ("A train derails in East Palestine, Ohio", "PS"),
        ("Ethnic tension: ethnic Albanian protesters gather in Kosovo", "AL"),
        ("Wildfires spread in British Columbia", "GB"),
        ("King Charles spaniels won the show", "GB"),
    ],
)
def test_places_and_groups_that_contain_a_state_s_name_are_not_that_state(
        extractor, title, absent) -> None:
    assert absent not in ids(extractor, title)


def test_brussels_acting_is_still_the_eu(extractor) -> None:
    assert ids(extractor, "Brussels says it will retaliate against the tariffs") == ["EU"]


@pytest.mark.parametrize(("text", "expected"), [
    ("Troops left a base near Tripoli, Lebanon on Monday.", ["LB"]),
    ("Troops left a base near Moscow, Idaho on Monday.", []),
    ("Troops from Hyderabad, Pakistan arrived.", ["PK"]),
    ("Troops from Lima, Ohio arrived.", ["US"]),
    # a list of countries is no town and its state
    ("Talks with Jordan, Egypt and Iraq went on in Moscow.", ["JO", "EG", "IQ", "RU"]),
])
def test_a_city_followed_by_a_state_or_another_country_is_a_town_there(
        extractor, text, expected) -> None:
    assert ids(extractor, "", text) == expected


def test_a_son_or_an_elder_of_the_same_name_is_another_person(extractor) -> None:
    assert ids(extractor, "", "Donald Trump Jr. said the army had moved.") == []
    assert "george-w-bush" not in ids(extractor, "", "George H.W. Bush sent troops in 1990.")
    assert "george-w-bush" not in ids(extractor, "", "President George H. W. Bush spoke.")


def test_an_all_caps_headline_names_its_actors(extractor) -> None:
    assert ids(extractor, "NORTH KOREA FIRES BALLISTIC MISSILE INTO SEA") == ["KP"]
    assert ids(extractor, "US AND NATO TROOPS DEPLOY TO POLAND") == ["US", "NATO", "PL"]


@pytest.mark.parametrize("text", [
    "He played Russian roulette with the budget.", "Brussels sprouts were served.",
    "The Spanish flu killed millions.", "It was a Mexican standoff.",
])
def test_idioms_named_after_a_country_name_no_actor(extractor, text) -> None:
    assert ids(extractor, "", text) == []


@pytest.mark.parametrize(("text", "kept"), [
    ("Protesters in London, Washington and Paris marched.", "GB"),
    ("Ambassadors in Beijing, Japan and South Korea protested.", "CN"),
    ("Flights from Tehran, Iraq and Syria were cancelled.", "IR"),
    ("The drills near Taipei, China said, were routine.", "TW"),
])
def test_a_capital_in_a_list_or_before_a_speaker_is_kept(extractor, text, kept) -> None:
    assert kept in ids(extractor, "", text)


@pytest.mark.parametrize(("text", "expected"), [
    ("Strikes hit Tripoli, Lebanon.", ["LB"]),
    ("Strikes hit Tripoli, Lebanon, on Monday.", ["LB"]),
    ("A storm hit Athens, Georgia, said officials.", []),
])
def test_a_town_and_its_country_or_state_with_the_comma_after(extractor, text, expected):
    assert ids(extractor, "", text) == expected
