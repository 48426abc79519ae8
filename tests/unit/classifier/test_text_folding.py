"""The cheap text passes the classifier makes: marks folded for matching,
the first words of a long text for the verifier's lead."""

from __future__ import annotations

import random

from watchfloor.services.classifier.features import first_tokens, tokens
from watchfloor.services.classifier.matcher import fold_marks, normalise


def test_dashes_become_spaces_and_typographic_quotes_plain_ones_keeping_offsets():
    text = "Test-fired — a ‘new’ missile–launcher’s ‑ ‐ run"
    folded = fold_marks(text)
    assert folded == "Test fired   a 'new' missile launcher's     run"
    assert len(folded) == len(text)
    assert normalise("State-Run") == "state run"


def test_the_first_words_of_a_long_text_are_those_of_the_whole_text():
    rng = random.Random(7)
    vocabulary = ["troops", "F-16s", "2,000", "Kim's", "sent", "a", "to-and-fro", "İstanbul",
                  "border", "—", "missile-launchers", "x" * 40]
    for _ in range(200):
        words = [rng.choice(vocabulary) for _ in range(rng.randint(0, 400))]
        text = rng.choice([" ", "  ", "\n", ", "]).join(words)
        for count in (1, 10, 60):
            assert first_tokens(text, count) == tokens(text)[:count]
