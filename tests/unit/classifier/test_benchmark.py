"""The classification benchmark's inputs (``make bench`` prints their figures)."""

from __future__ import annotations

from watchfloor.services.classifier.benchmark import unpunctuated_text
from watchfloor.services.classifier.sentences import MAX_SENTENCE_CHARS, split_sentences

ITEMS = [
    {"title": "Ships sail east.", "text": "Two frigates left port; officials said: more will follow!"},
    {"title": "Talks resume", "text": "Envoys met again. Would they agree? Nobody knows."},
]


def test_the_unpunctuated_text_has_the_words_asked_for_and_no_sentence_marks():
    text = unpunctuated_text(ITEMS, words=1_000)  # the items repeated as needed
    assert len(text.split()) == 1_000
    assert not any(mark in text for mark in ".!?;:")
    assert text.split()[:3] == ["Ships", "sail", "east"]


def test_such_a_text_is_cut_into_bounded_sentences():
    text = unpunctuated_text(ITEMS, words=3_000)
    pieces = split_sentences("", text)
    assert len(pieces) > 10 and all(len(p.text) <= MAX_SENTENCE_CHARS for p in pieces)


def test_no_items_give_an_empty_text():
    assert unpunctuated_text([], words=10) == ""
