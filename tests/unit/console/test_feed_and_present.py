"""The feed's filters, the evidence with its triggers marked, figures."""

from __future__ import annotations

from datetime import timedelta

from watchfloor.services.console.feed import AlertFilter, parse_filter
from watchfloor.services.console.present import evidence_segments, figure_label
from watchfloor.shared.schemas import Figure, Span, TagMatch

from tests.unit.console.factories import IR, T0, alert, article, tag

MISSILE = alert("al_1")
SANCTIONS = alert("al_2", watchlist="iran", art=article("u-2", title="EU sanctions Iran"),
                  tags=[tag("sanctions", 0.6, "reported")], actors=[IR], at=T0 - timedelta(days=2))


def shown(flt: AlertFilter) -> list[str]:
    return [a.id for a in (MISSILE, SANCTIONS) if flt.matches(a, T0)]


def test_each_filter_narrows_the_feed() -> None:
    assert shown(AlertFilter()) == ["al_1", "al_2"]
    assert shown(AlertFilter(watchlist="iran")) == ["al_2"]
    assert shown(AlertFilter(tag="missile_test")) == ["al_1"]
    assert shown(AlertFilter(actor="ir")) == ["al_2"]
    assert shown(AlertFilter(actor="korea")) == ["al_1"]
    # a list, as the field's example "KP, Iran, NATO" shows: any of them
    assert shown(AlertFilter(actor="korea, IR")) == ["al_1", "al_2"]
    assert shown(AlertFilter(actor=" , nato")) == []
    assert shown(AlertFilter(modality="reported")) == ["al_2"]
    assert shown(AlertFilter(min_confidence=0.8)) == ["al_1"]
    assert shown(AlertFilter(within="24h")) == ["al_1"]
    assert shown(AlertFilter(q="EU SANCTIONS")) == ["al_2"]
    # tag, modality and confidence must hold for the same tag
    assert shown(AlertFilter(tag="sanctions", min_confidence=0.8)) == []


def test_filters_come_from_the_query_and_a_bad_one_is_named_not_guessed() -> None:
    flt, problems = parse_filter({"tag": "sanctions", "min_confidence": "high", "within": "1y"})
    assert flt == AlertFilter(tag="sanctions")
    assert set(problems) == {"min_confidence", "within"}
    assert AlertFilter(tag="sanctions", q="a b").query(before="1-0") == "tag=sanctions&q=a+b&before=1-0"


def test_triggers_are_marked_inside_the_evidence_overlaps_merged() -> None:
    text = "Kim reaffirms the North Korean pact"
    span = Span(field="title", start=10, end=10 + len(text), text=text)
    triggers = [Span(field="title", start=14, end=23, text="reaffirms"),
                Span(field="title", start=28, end=40, text="North Korean"),
                Span(field="title", start=34, end=40, text="Korean"),
                Span(field="text", start=14, end=23, text="reaffirms")]  # another field
    match = TagMatch(tag="treaty_reaffirmation", confidence=1, evidence=text, evidence_span=span,
                     triggers=triggers)
    assert evidence_segments(match) == [("Kim ", False), ("reaffirms", True), (" the ", False),
                                        ("North Korean", True), (" pact", False)]


def test_offsets_that_do_not_fit_the_evidence_mark_nothing() -> None:
    text = "Pyongyang fired a missile"
    span = Span(field="text", start=0, end=len(text), text=text)
    match = TagMatch(tag="missile_test", confidence=1, evidence=text, evidence_span=span,
                     triggers=[Span(field="text", start=3, end=9, text="fired")])
    assert evidence_segments(match) == [(text, False)]
    assert evidence_segments(TagMatch(tag="x", confidence=1, evidence="plain")) == [("plain", False)]


def test_figures_read_as_kind_and_amount() -> None:
    assert figure_label(Figure(kind="troops", value=11000, low=10000, high=12000,
                               text="between 10,000 and 12,000 soldiers")) == "troops 10,000–12,000"
    assert figure_label(Figure(kind="money", value=2.5e9, unit="USD", approximate=True,
                               text="about $2.5bn")) == "money ~2,500,000,000 USD"
