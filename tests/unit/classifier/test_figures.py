"""Figures from sentences written for these tests."""

from __future__ import annotations

import pytest
from watchfloor.services.classifier.figures import extract_figures


def one(text: str):
    figures = extract_figures("", text)
    assert len(figures) == 1, figures
    return figures[0]


def test_troop_count_with_span() -> None:
    text = "The ministry said 30,000 troops were moving north."
    figure = one(text)
    assert (figure.kind, figure.value, figure.approximate) == ("troops", 30_000, False)
    assert figure.text == "30,000 troops"
    assert figure.span.field == "text"
    assert text[figure.span.start : figure.span.end] == "30,000 troops"


def test_troop_range_gives_midpoint() -> None:
    figure = one("Officials expect between 10,000 and 12,000 troops at the border.")
    assert (figure.kind, figure.low, figure.high, figure.value) == (
        "troops",
        10_000,
        12_000,
        11_000,
    )


def test_thousands_is_approximate() -> None:
    figure = one("Thousands of soldiers gathered near the river.")
    assert figure.kind == "troops" and figure.approximate
    assert (figure.low, figure.high, figure.value) == (1_000, 9_999, 2_000)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("A 100,000-strong force waits in reserve.", 100_000),
        ("The council approved 2,000 peacekeepers for the mission.", 2_000),
        ("Tens of thousands of troops are massed nearby.", 20_000),
        ("The alliance will send 3,500 more US troops.", 3_500),
    ],
)
def test_troop_forms(text, value) -> None:
    figure = one(text)
    assert (figure.kind, figure.value) == ("troops", value)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("The army fired two ballistic missiles into the sea.", 2),
        ("It launched eight short-range missiles on Sunday.", 8),
        ("The ship fired a salvo of 3 cruise missiles.", 3),
        ("Crews test-fired a dozen missiles over two days.", 12),
        ("The navy test-fired a cruise missile from a submarine.", 1),
    ],
)
def test_missile_counts(text, value) -> None:
    figure = one(text)
    assert (figure.kind, figure.value) == ("missiles", value)


@pytest.mark.parametrize(
    ("text", "value", "unit"),
    [
        ("They signed a $1.2 billion arms deal.", 1.2e9, "USD"),
        ("The order is worth US$500m over five years.", 5e8, "USD"),
        ("Paris agreed a €2bn frigate contract.", 2e9, "EUR"),
        ("London will spend £300 million on drones.", 3e8, "GBP"),
        ("The package is worth 2 billion dollars.", 2e9, "USD"),
    ],
)
def test_money(text, value, unit) -> None:
    figure = one(text)
    assert (figure.kind, figure.value, figure.unit) == ("money", value, unit)


def test_aircraft_and_ships() -> None:
    kinds = [
        (f.kind, f.value)
        for f in extract_figures("", "It bought 24 F-16 fighter jets and 4 frigates.")
    ]
    assert kinds == [("aircraft", 24), ("ships", 4)]


def test_killed_soldiers_are_casualties() -> None:
    assert one("Officials said 30 soldiers were killed in the ambush.").kind == "casualties"
    assert one("The blast killed 12 soldiers near the base.").kind == "casualties"


@pytest.mark.parametrize(
    "text",
    [
        "In 2005 troops returned to their barracks.",
        "The 2003 missile agreement was signed in March.",
        "About 30% of troops are conscripts.",
        "Two 30-year-old soldiers were promoted.",
        "On May 24 troops left the town.",
        "The parliament has 450 seats and a new missile defence system.",
        "Oil rose to $90 a barrel.",
        "One of the soldiers gave evidence.",
        "After 2014 troops were deployed along the border.",
        "Before 2020 troops trained abroad.",
        "Throughout 2022 troops held the line.",
        "In spring 2023 troops moved south.",
        "In fiscal 2024 troops received a raise.",
        "Between 2019 and 2021 troops from Germany were rotated.",
        "From 2019 to 2021 troops from Spain were rotated.",
    ],
)
def test_not_figures(text) -> None:
    kinds = [f.kind for f in extract_figures("", text)]
    assert "troops" not in kinds and "missiles" not in kinds and "money" not in kinds


def test_title_and_text_are_both_read() -> None:
    figures = extract_figures("Army sends 5,000 troops", "A further 2,000 soldiers may follow.")
    assert [(f.span.field, f.value) for f in figures] == [("title", 5_000), ("text", 2_000)]


def test_text_without_numbers_is_skipped_fast() -> None:
    assert extract_figures("Leaders meet for talks", "They discussed trade and climate.") == []


def test_the_quantity_lookahead_changes_no_match() -> None:
    """``_COUNTED`` looks ahead for the words a quantity can start with (for
    speed); without that lookahead it must find the same matches, on phrases
    built from every approximation, vague and few form and number word."""
    import itertools
    import re

    from watchfloor.services.classifier import figures

    plain = re.compile(figures._COUNTED.pattern.replace(figures._QUANTITY_STARTS, "", 1),
                       re.VERBOSE)
    assert plain.pattern != figures._COUNTED.pattern
    numbers = ["12", "1,200", "3.5 million", "a", "an", "a single", "a dozen", "two dozen",
               "twenty-five", "between 10 and 20", "5-10", "two or three", "7 500", "1.2 bn",
               *figures._UNITS, *figures._TENS, *(f"{v} of" for v in figures._VAGUE),
               *(f"{f} {s}" for f in figures._FEW for s in ("hundred", "dozen"))]
    openers = ["", *(f"{a} " for a in figures._APPROX_PHRASES)]
    tails = ["troops", "US troops", "ballistic missiles", "missile", "warships", "people killed",
             "were killed.", "-strong force"]
    phrases = [f"{o}{n}{'' if t.startswith('-') else ' '}{t}"
               for o, n, t in itertools.product(openers, numbers, tails)]
    checked = 0
    for phrase in phrases:
        for text in (phrase, f"Officials said {phrase} on Monday.", phrase.upper()):
            expected = [m.span() for m in plain.finditer(text)]
            assert [m.span() for m in figures._COUNTED.finditer(text)] == expected, text
            checked += bool(expected)
    assert checked > len(phrases)  # the phrases do match: the comparison is not vacuous


def values(text: str) -> list[tuple[str, float]]:
    return [(f.kind, f.value) for f in extract_figures("", text)]


@pytest.mark.parametrize(
    ("text", "kind", "value"),
    [
        ("The navy fired twenty-five ballistic missiles overnight.", "missiles", 25),
        ("The fleet keeps thirty-one warships in port.", "ships", 31),
        ("It massed forty-two thousand troops on the plain.", "troops", 42_000),
        ("A convoy carried ninety-nine troops north.", "troops", 99),
        ("They sent 10,000-12,000 troops to the coast.", "troops", 11_000),
        ("They sent twenty-five to thirty-five troops.", "troops", 30),
    ],
)
def test_hyphenated_number_words_are_one_number(text, kind, value) -> None:
    figure = one(text)
    assert (figure.kind, figure.value) == (kind, value)


@pytest.mark.parametrize(
    ("text", "value", "unit"),
    [
        ("The deal is worth $1.2 bn over ten years.", 1.2e9, "USD"),
        ("Rome signed a €2 bn order.", 2e9, "EUR"),
        ("The grant is $5 mn in total.", 5e6, "USD"),
        ("The budget is $3-4 billion.", 3.5e9, "USD"),
    ],
)
def test_scale_abbreviation_after_a_space(text, value, unit) -> None:
    figure = one(text)
    assert (figure.kind, figure.value, figure.unit) == ("money", value, unit)


def test_capital_m_after_a_count_is_million_not_a_modifier() -> None:
    assert values("The reserve lists 1.2 M troops on paper.") == [("troops", 1.2e6)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "The army deployed 5,000 troops and two civilians were killed in clashes.",
            [("troops", 5_000), ("casualties", 2)],
        ),
        ("The retreating army left 300 troops in the town.", [("troops", 300)]),
        (
            "The army left 300 troops in the town where 12 civilians were killed.",
            [("troops", 300), ("casualties", 12)],
        ),
        ("The shelling left 300 dead.", [("casualties", 300)]),
        ("The raid left 12 soldiers dead.", [("casualties", 12)]),
        ("The ambush left 12 soldiers wounded.", [("casualties", 12)]),
        (
            "The blast left 12 soldiers and three civilians dead.",
            [("casualties", 12), ("casualties", 3)],
        ),
        ("Four soldiers and their driver were killed.", [("casualties", 4)]),
        (
            "Officials said six soldiers and two rebels were killed overnight.",
            [("casualties", 6), ("casualties", 2)],
        ),
        (
            "The storm left at least 40 people, including nine children, dead.",
            [("casualties", 40)],
        ),
    ],
)
def test_killing_is_carried_only_to_its_own_subject(text, expected) -> None:
    assert values(text) == expected


@pytest.mark.parametrize(
    ("text", "value", "approximate"),
    [
        ("The ministry sent 7 500 troops east.", 7_500, False),
        ("The ministry sent 7\u202f500 troops east.", 7_500, False),
        ("The ministry sent 7\u00a0500 troops east.", 7_500, False),
        ("There are over 10 000 soldiers in the region.", 10_000, True),
        ("The army has 1 250 000 reservists.", 1_250_000, False),
    ],
)
def test_thousands_grouped_with_a_space(text, value, approximate) -> None:
    figure = one(text)
    assert (figure.kind, figure.value, figure.approximate) == ("troops", value, approximate)


def test_a_year_and_a_count_are_not_joined() -> None:
    assert values("In 2023 500 troops arrived.") == [("troops", 500)]
    assert values("It sent 12  500 troops.") == [("troops", 500)]  # two spaces


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("The navy sent two aircraft carriers to the strait.", [("ships", 2)]),
        ("The yard launched an aircraft carrier on Friday.", [("ships", 1)]),
        ("It flew 40 aircraft from the carrier.", [("aircraft", 40)]),
    ],
)
def test_aircraft_carriers_are_ships(text, expected) -> None:
    assert values(text) == expected


@pytest.mark.parametrize(
    ("text", "kind", "low", "high"),
    [
        ("The army fired a few dozen cruise missiles at dawn.", "missiles", 24, 60),
        ("The rebels launched several dozen drones.", "aircraft", 36, 108),
    ],
)
def test_few_dozen_is_approximate(text, kind, low, high) -> None:
    figure = one(text)
    assert (figure.kind, figure.low, figure.high, figure.approximate) == (kind, low, high, True)


def test_two_or_three_is_a_range() -> None:
    figure = one("The army fired two or three ballistic missiles.")
    assert (figure.kind, figure.low, figure.high, figure.value) == ("missiles", 2, 3, 2.5)


def test_money_range_with_currency_word_keeps_both_ends() -> None:
    figure = one("The contract is worth 900 million to 1.1 billion euros.")
    assert (figure.kind, figure.low, figure.high, figure.unit) == ("money", 9e8, 1.1e9, "EUR")
    figure = one("The contract is worth two to three billion dollars.")
    assert (figure.low, figure.high, figure.unit) == (2e9, 3e9, "USD")


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("Congress approved $3.8 billion a year in military aid.", 3.8e9),
        ("The plan costs €40 million per month.", 4e7),
        ("They pledged £2bn annually for defence.", 2e9),
    ],
)
def test_yearly_and_monthly_sums_are_money(text, value) -> None:
    figure = one(text)
    assert (figure.kind, figure.value) == ("money", value)


@pytest.mark.parametrize(
    "text",
    [
        "Shares fell to $12 per share.",
        "Wheat traded at $250 a tonne.",
        "Each drone costs $20,000 a unit.",
    ],
)
def test_unit_prices_are_not_money(text) -> None:
    assert extract_figures("", text) == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("The model assumes 0.5 troops per checkpoint.", []),
        ("On average 2.5 missiles were fired per launcher.", []),
        ("It sent 2.5 thousand troops.", [("troops", 2_500)]),
        ("They sent 10-15 troops.", [("troops", 12.5)]),
    ],
)
def test_counts_are_whole_numbers(text, expected) -> None:
    assert values(text) == expected


def test_the_overlap_check_agrees_with_a_scan_of_every_span() -> None:
    # a scan per match made long articles with many figures quadratic
    import random

    from watchfloor.services.classifier.figures import _Spans

    rng = random.Random(7)
    for _ in range(200):
        spans = [(s, s + rng.randint(1, 12)) for s in rng.sample(range(300), 25)]
        index = _Spans(spans)
        for _ in range(50):
            start = rng.randint(0, 310)
            end = start + rng.randint(1, 15)
            assert index.overlaps(start, end) == any(s < end and start < e for s, e in spans)


@pytest.mark.parametrize(
    "text",
    [
        "Since 24 February Russian troops have advanced slowly.",  # a date, then troops
        "On 7 October Russian troops crossed the river.",
        "China commissioned two more Type 055 destroyers.",  # a model's number
        "Poland bought MiG 29 jets in the 1990s.",
    ],
)
def test_dates_and_model_numbers_are_not_counts(text) -> None:
    """(A decimal with its scale still counts: see the next test.)"""
    assert [(f.kind, f.value) for f in extract_figures("", text)] in ([], [("ships", 2)])


def test_a_casualty_subject_joined_by_and_is_casualties_not_troops() -> None:
    figure = one("Some 45,000 soldiers and contractors killed or wounded since the spring.")
    assert (figure.kind, figure.value) == ("casualties", 45_000)


def test_a_range_with_the_thousands_written_once_is_thousands_at_both_ends() -> None:
    figure = one("Russia deployed 10-15,000 troops to the region.")
    assert (figure.kind, figure.low, figure.high) == ("troops", 10_000, 15_000)
    figure = one("Russia deployed 100-1,000 troops to the region.")  # not 100,000
    assert (figure.low, figure.high) == (100, 1_000)


def test_a_decimal_with_a_scale_is_a_count() -> None:
    figure = one("Russia massed 0.5 million troops near the border.")
    assert (figure.kind, figure.value) == ("troops", 500_000)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("Two hundred fifty soldiers reached the frontier on Monday.", 250),
        ("Two hundred and fifty soldiers reached the frontier.", 250),
        ("Four thousand five hundred troops were moved to the frontier.", 4_500),
        ("One thousand two hundred Marines landed at dawn.", 1_200),
        ("Two hundred thousand troops massed near the river.", 200_000),
    ],
)
def test_spelled_out_numbers_of_several_words_count_whole(text, value) -> None:
    figure = one(text)
    assert (figure.kind, figure.value) == ("troops", value)


def test_a_range_of_spelled_out_hundreds_keeps_both_ends() -> None:
    figure = one("Between two hundred and three hundred troops crossed the ridge.")
    assert (figure.low, figure.high) == (200, 300)


@pytest.mark.parametrize(
    "text",
    [
        "Under Resolution 1701 peacekeepers patrol the area.",
        "Task Force 51 Marines were sent to the gulf.",
        "Carrier Strike Group 12 warships sailed south.",
        "Under Article 5 troops could be sent east.",
        "Unit 8200 soldiers were named in the report.",
        "Flight 93 passengers were remembered at the ceremony.",
        "Since 24/02/2022 troops have been stationed on the ridge.",
        "Officials tested 1,500 km-range cruise missiles.",
        "The navy sent two 8,000 ton-class destroyers to the strait.",
        "Gunners fired 122 mm-calibre rockets at the ridge.",
    ],
)
def test_names_dates_and_measurements_before_a_noun_are_not_counts(text) -> None:
    counts = [(f.kind, f.value) for f in extract_figures("", text)]
    assert all(value not in (1701, 51, 12, 5, 8200, 93, 2022, 1_500, 8_000, 122)
               for _, value in counts), counts


@pytest.mark.parametrize(
    ("text", "troops", "dead"),
    [
        ("About 500 troops killed 40 militants in a raid near the ridge.", 500, 40),
        ("Some 200 commandos killed 30 insurgents in a night raid.", 200, 30),
        ("The army said 1,000 soldiers wounded dozens of rebels in the assault.", 1_000, 36),
    ],
)
def test_soldiers_who_kill_are_troops_and_their_victims_casualties(text, troops, dead) -> None:
    figures = {f.kind: f.value for f in extract_figures("", text)}
    assert figures == {"troops": troops, "casualties": dead}


@pytest.mark.parametrize(
    "text",
    ["Officials said 12 soldiers killed in the attack were buried.",
     "Five soldiers killed, officials said.", "12 soldiers were killed overnight."],
)
def test_soldiers_killed_without_an_object_are_casualties(text) -> None:
    assert one(text).kind == "casualties"


def test_pounds_of_a_material_are_a_weight_not_money() -> None:
    assert extract_figures("", "The army bought 2 million pounds of gunpowder.") == []
    figure = one("The government pledged 2 million pounds of aid to the region.")
    assert (figure.kind, figure.unit, figure.value) == ("money", "GBP", 2_000_000)


@pytest.mark.parametrize(
    ("text", "unit", "value"),
    [("The jets were bought for 9 billion rupees, officials said.", "INR", 9e9),
     ("A contract worth EUR3bn was signed.", "EUR", 3e9)],
)
def test_currencies_found_without_a_symbol_nearby(text, unit, value) -> None:
    figure = one(text)
    assert (figure.kind, figure.unit, figure.value) == ("money", unit, value)


def test_an_amount_too_large_for_a_number_is_left_out() -> None:
    # an infinite value cannot be sent as JSON: the article would go to the dead letters
    figures = extract_figures("", "Fines of $1" + "0" * 400 + " and $3 billion were imposed.")
    assert [f.value for f in figures] == [3e9]


def test_a_long_text_of_dotted_capitals_keeps_its_figures() -> None:
    # "İ" lowercases to two characters: the keyword windows must not drift
    text = "Officials in İzmir and İstanbul spoke. " * 60 + "The army sent 5,000 troops north."
    assert one(text).value == 5_000


@pytest.mark.parametrize(("text", "value"), [
    ("Some 120.000 troops massed near the river.", 120_000),
    ("About 1.500 soldiers arrived at dawn.", 1_500),
])
def test_thousands_grouped_by_dots_are_a_count(text, value) -> None:
    assert one(text).value == value  # "120.000" was 120


@pytest.mark.parametrize(("text", "kind", "value"), [
    ("Two hundred and fifty thousand troops massed on the border.", "troops", 250_000),
    ("One hundred and twenty thousand soldiers were moved north.", "troops", 120_000),
    ("Two Northland soldiers killed a day after the truce took effect.", "casualties", 2),
    ("Three peacekeepers killed the day after the vote.", "casualties", 3),
    ("Britain pledged 5 million pounds of military aid.", "money", 5_000_000),
    ("Britain sent 500 million pounds of weapons to the east.", "money", 500_000_000),
    ("In the Zone 200 soldiers were deployed.", "troops", 200),
    ("The Wagner Group 5,000 fighters arrived.", "troops", 5_000),
])
def test_what_the_fixes_of_this_pass_must_not_break(text, kind, value) -> None:
    # each was read wrongly by a first version of this session's fixes
    figure = one(text)
    assert (figure.kind, figure.value) == (kind, value)


def test_soldiers_who_kill_before_leaving_are_still_troops() -> None:
    figures = {f.kind: f.value for f in extract_figures(
        "", "Some 500 troops killed 40 militants before withdrawing to their base.")}
    assert figures == {"troops": 500, "casualties": 40}


@pytest.mark.parametrize("text", [
    "Russia deployed between two hundred and three hundred thousand troops.",
    "Russia sent a hundred and fifty thousand troops.",
])
def test_a_word_range_no_reading_is_sure_of_gives_no_figure(text) -> None:
    assert extract_figures("", text) == []  # an invented 150,100 before


def test_a_figure_told_in_the_headline_and_again_in_the_body_is_one_figure():
    # a watchlist's min_figures: 2 matched a single "8,000 troops" told twice
    figures = extract_figures("Ostland sends 8,000 troops to the border",
                              "Ostland has sent 8,000 troops to the border. The 8,000 troops "
                              "joined about 5,000 troops there, some 5,000 troops in all.")
    assert [(f.value, f.span.field) for f in figures] == [
        (8000, "title"), (5000, "text"), (5000, "text")]


def test_equal_numbers_within_the_text_stay_apart():
    # two events of one size: the dedupe of a headline's figure must not merge them
    figures = extract_figures("Shelling in two towns",
                              "Shelling killed 12 people in Ostgrad. A strike killed 12 people in Nordhafen.")
    assert [f.value for f in figures] == [12, 12]
    figures = extract_figures("", "Ostland sent 5,000 troops north and another 5,000 troops south.")
    assert [f.value for f in figures] == [5000, 5000]
