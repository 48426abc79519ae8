from __future__ import annotations

import pytest
from watchfloor.services.classifier.sentences import split_sentences


def test_title_is_its_own_sentence_and_offsets_are_exact():
    title = "Headline here"
    text = "First one. Mr. Smith met U.S. officials in N. Korea! Is it over? Yes."
    sentences = split_sentences(title, text)
    assert sentences[0].field == "title" and sentences[0].text == title
    body = [s.text for s in sentences[1:]]
    assert body == ["First one.", "Mr. Smith met U.S. officials in N. Korea!", "Is it over?", "Yes."]
    for s in sentences[1:]:
        assert text[s.start : s.end] == s.text


def test_dateline_is_split_off():
    text = "SEOUL (Reuters) - The talks resumed on Monday."
    pieces = [s.text for s in split_sentences("", text)]
    assert pieces == ["SEOUL (Reuters) -", "The talks resumed on Monday."]


def test_empty_input():
    assert split_sentences("", "") == []
    assert [s.text for s in split_sentences("Only a title", "  ")] == ["Only a title"]


def test_text_without_full_stops_is_cut_into_bounded_pieces_at_spaces():
    from watchfloor.services.classifier.sentences import MAX_SENTENCE_CHARS

    text = " ".join(f"word{n} and troops moved" for n in range(3000))  # ~70,000 chars, no stop
    pieces = split_sentences("", text)
    assert len(pieces) > 100
    assert all(len(p.text) <= MAX_SENTENCE_CHARS for p in pieces)
    # offsets still point into the text, and nothing is lost between pieces
    assert all(text[p.start:p.end] == p.text for p in pieces)
    assert " ".join(p.text for p in pieces) == text
    # a natural sentence is never cut
    natural = "Troops moved to the border on Monday, officials said."
    assert [p.text for p in split_sentences("", natural)] == [natural]


@pytest.mark.parametrize("text", [
    "According to Cmdr. Choi, the fleet sailed on Monday.",
    "Brig. Gen. Lee said the fleet sailed on Monday.",
])
def test_a_rank_place_or_time_abbreviation_does_not_end_the_sentence(text) -> None:
    assert [s.text for s in split_sentences("", text)] == [text]
