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
               "twenty-five", "between 10 and 20", "5-10", *figures._UNITS, *figures._TENS,
               *(f"{v} of" for v in figures._VAGUE), *(f"{f} hundred" for f in figures._FEW)]
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
