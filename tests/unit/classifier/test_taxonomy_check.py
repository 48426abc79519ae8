"""`watchfloor taxonomy check` warns about wildcard stems that also match
common English words outside their family ("mig*" is also "migrants",
"f 15*" is also "F-150"). Warnings are printed; they are not errors."""

from __future__ import annotations

from pathlib import Path

import pytest
from watchfloor.services.classifier.taxonomy import parse_taxonomy
from watchfloor.services.cli.main import main

WILDCARDS = """version: t
lexicons:
  jets: [fighter jet*, mig*, f 15*]
tags:
  tag_a:
    rules:
      - id: r
        confidence: 0.8
        trigger: ["@jets"]
        with: [[missil*, deploy*, ban*]]
"""


def _line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


def test_a_stem_matching_common_words_is_named_with_file_line_and_examples():
    pytest.importorskip("wordfreq")
    taxonomy = parse_taxonomy(WILDCARDS, source="jets.yaml")
    warnings = taxonomy.wildcard_warnings(WILDCARDS)
    (mig,) = [w for w in warnings if "'mig*'" in w]
    assert mig.startswith(f"jets.yaml:{_line_of(WILDCARDS, 'mig*')}: ")
    assert "migrants" in mig or "migration" in mig or "might" in mig
    examples = mig.split(": ", 2)[-1].split(" (")[0]
    assert len(examples.split(", ")) <= 5
    (f15,) = [w for w in warnings if "'f 15*'" in w]
    assert "f 150" in f15


def test_a_stem_s_own_forms_are_no_warning():
    pytest.importorskip("wordfreq")
    taxonomy = parse_taxonomy(WILDCARDS, source="jets.yaml")
    warned = " ".join(taxonomy.wildcard_warnings(WILDCARDS))
    # "missiles", "deployed", "deployment" are the stems' own family; a
    # phrase's other words make "fighter jetty" no worry
    assert "'missil*'" not in warned
    assert "'deploy*'" not in warned
    assert "'fighter jet*'" not in warned
    assert "'ban*'" in warned  # "bank", "band"


def test_family_and_strays_with_a_given_word_list():
    taxonomy = parse_taxonomy(WILDCARDS, source="jets.yaml")
    words = ["might", "bank", "banned", "bans", "migrants", "missile", "missiles", "deployed"]
    warnings = taxonomy.wildcard_warnings(WILDCARDS, common_words=words)
    by_term = {w.split("wildcard ")[1].split(" also ")[0]: w for w in warnings}
    assert set(by_term) == {"'mig*'", "'ban*'", "'f 15*'"}
    assert by_term["'mig*'"].endswith("outside its family: might, migrants")
    assert by_term["'ban*'"].endswith("outside its family: bank")


def test_a_term_written_in_several_places_is_reported_once_with_its_lines():
    text = WILDCARDS.replace("[[missil*, deploy*, ban*]]", "[[missil*, mig*]]")
    taxonomy = parse_taxonomy(text, source="jets.yaml")
    (mig,) = [w for w in taxonomy.wildcard_warnings(text, common_words=["might"]) if "'mig*'" in w]
    assert mig.startswith(f"jets.yaml:{_line_of(text, 'jets: [')}: ")
    assert mig.endswith(f"also on line(s) {_line_of(text, 'with: [')}")


def test_check_prints_wildcard_warnings_and_exits_0(tmp_path: Path, capsys):
    pytest.importorskip("wordfreq")
    file = tmp_path / "jets.yaml"
    file.write_text(WILDCARDS)
    assert main(["taxonomy", "check", str(file)]) == 0
    captured = capsys.readouterr()
    assert captured.out.startswith(f"OK {file}")
    line = _line_of(WILDCARDS, "mig*")
    assert f"warning: {file}:{line}: wildcard 'mig*' also matches common words" in captured.err


def test_packaged_taxonomy_has_no_wildcard_matching_other_words(capsys):
    """Its stems that also start common words of other families ("mig*":
    "migrants", "ban*": "bank", "f 15*": "F-150") are written out as their
    forms, so the packaged rules pass their own check without a warning."""
    pytest.importorskip("wordfreq")
    assert main(["taxonomy", "check"]) == 0
    captured = capsys.readouterr()
    assert captured.out.startswith("OK ")
    assert [line for line in captured.err.splitlines() if line.startswith("warning: ")] == []
