"""Normalisation removes what hides or disguises text: bidirectional
controls, invisible format characters and terminal escape sequences."""

from __future__ import annotations

import pytest
from watchfloor.services.ingest.normalise import normalise_line, normalise_text

BIDI_CONTROLS = [chr(c) for c in [*range(0x202A, 0x202F), *range(0x2066, 0x206A)]]


@pytest.mark.parametrize("control", BIDI_CONTROLS, ids=lambda c: f"U+{ord(c):04X}")
def test_bidi_overrides_and_isolates_are_removed(control: str) -> None:
    assert normalise_line(f"Fleet report{control}txt.exe") == "Fleet reporttxt.exe"


def test_a_right_to_left_override_cannot_reverse_a_headline() -> None:
    assert normalise_line("Ministry denies \u202ecitats ni\u202c talks") == (
        "Ministry denies citats ni talks"
    )


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("left\u200eto\u200fright\u061cmarks", "lefttorightmarks"),
        ("invisible\u2061\u2062\u2063\u2064operators", "invisibleoperators"),
        ("deprecated\u206a\u206fformat", "deprecatedformat"),
        ("annotation\ufff9base\ufffaruby\ufffb", "annotationbaseruby"),
        ("blank\u3164\u115f\u1160\uffa0fillers", "blankfillers"),
        ("grapheme\u034fjoiner", "graphemejoiner"),
        # tag characters spell invisible ASCII ("IGNORE")
        ("Harbour\U000e0049\U000e0047\U000e004e\U000e004f\U000e0052\U000e0045 reopens",
         "Harbour reopens"),
    ],
)
def test_other_invisible_format_characters_are_removed(raw: str, expected: str) -> None:
    assert normalise_line(raw) == expected


@pytest.mark.parametrize(
    "kept",
    [
        "\U0001f3f4\U000e0067\U000e0062\U000e0073\U000e0063\U000e0074\U000e007f",  # flag: Scotland
        "\U0001f469\u200d\U0001f692",  # ZWJ emoji sequence
        "\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645",  # ZWNJ in Persian
        "\u2764\ufe0f",  # variation selector
    ],
)
def test_characters_that_shape_visible_text_are_kept(kept: str) -> None:
    assert normalise_line(f"a {kept} b") == f"a {kept} b"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("\x1b[31mRED\x1b[0m alert", "RED alert"),  # CSI (SGR colours)
        ("\x1b[2J\x1b[1;1HCleared", "Cleared"),  # CSI: clear screen, move
        ("\x1b[?25lhidden cursor", "hidden cursor"),  # CSI with private parameters
        ("\x9b31m8-bit CSI", "8-bit CSI"),
        ("\x9d0;8-bit OSC\x9cshown", "shown"),
        ("\x90q8-bit DCS\x1b\\shown", "shown"),
        ("\x98SOS\x07\x9eand PM\x07\x9fand APC\x9cshown", "shown"),
        ("\x1b]0;fake title\x07Real title", "Real title"),  # OSC ended by BEL
        ("\x1b]8;;https://evil.example.test/\x1b\\click\x1b]8;;\x1b\\ here", "click here"),
        ("\x1bP1$r0m\x1b\\DCS gone", "DCS gone"),  # DCS ended by ST
        ("\x1b_app\x1b\\APC gone", "APC gone"),
        ("\x1bcReset and \x1b(Bcharset", "Reset and charset"),  # other ESC sequences
        ("keeps \x1b]unterminated text", "keeps unterminated text"),  # introducer only
        ("[31m without ESC is text", "[31m without ESC is text"),
    ],
)
def test_terminal_escape_sequences_are_removed_whole(raw: str, expected: str) -> None:
    assert normalise_line(raw) == expected


def test_body_text_is_cleaned_too_and_keeps_its_paragraphs() -> None:
    raw = "\x1b[1mFirst\x1b[0m para\u202egraph.\n\nSecond\u2066 one.\x1b]0;x\x07"
    assert normalise_text(raw) == "First paragraph.\n\nSecond one."


def test_copies_differing_only_in_hidden_characters_normalise_alike() -> None:
    plain = "Navy begins joint exercise"
    disguised = "\x1b[33mNavy\x1b[0m be\u2066gins\u2069 joint\u200e exer\u202ecise"
    assert normalise_line(disguised) == normalise_line(plain)
