from __future__ import annotations

import json
from pathlib import Path

import pytest
from watchfloor.services.classifier.engine import Classifier
from watchfloor.services.classifier.taxonomy import (
    TaxonomyError,
    TaxonomyErrors,
    load_taxonomy,
    parse_taxonomy,
)
from watchfloor.services.cli.main import main

NINTH_TAG = """
version: test-9.0
lexicons:
  cyber_word: [cyberattack*, cyber attack*, ransomware, hack*]
tags:
  cyber_attack:
    description: a state-linked cyber attack
    rules:
      - id: cyber
        confidence: 0.8
        trigger: ["@cyber_word"]
        with: [[state, government, military, ministry]]
"""


def test_packaged_taxonomy_loads():
    taxonomy = load_taxonomy()
    assert taxonomy.version.startswith("taxonomy-")
    assert set(taxonomy.tag_ids) >= {"missile_test", "troop_deployment", "treaty_reaffirmation", "sanctions"}


def test_ninth_tag_works_end_to_end(tmp_path: Path, capsys):
    file = tmp_path / "taxonomy.yaml"
    file.write_text(NINTH_TAG)
    classifier = Classifier(load_taxonomy(file))
    result = classifier.classify("Government websites hit by ransomware", "")
    assert result.tag_ids == ["cyber_attack"] and result.classifier_version == "test-9.0"

    source = tmp_path / "in.jsonl"
    source.write_text(json.dumps({"id": "a", "title": "Ministry says a cyberattack took its servers down", "text": ""}) + "\n")
    out = tmp_path / "out.jsonl"
    assert main(["classify", "--input", str(source), "--output", str(out), "--taxonomy", str(file)]) == 0
    row = json.loads(out.read_text())
    # the learned classifier (the default) leaves a tag it was not trained on to the rules
    assert row["tags"] == ["cyber_attack"]
    assert row["classification"]["classifier_version"].split("+model.")[0] == "test-9.0"


def _error_lines(text: str) -> list[tuple[int | None, str]]:
    with pytest.raises(TaxonomyError) as info:
        parse_taxonomy(text, source="t.yaml")
    errors = info.value.errors if isinstance(info.value, TaxonomyErrors) else [info.value]
    assert all(e.file == "t.yaml" for e in errors)
    return [(e.line, e.message) for e in errors]


def test_errors_name_line_and_problem():
    text = NINTH_TAG.replace("confidence: 0.8", "confidence: 1.8").replace('"@cyber_word"', '"@cyberr"')
    errors = _error_lines(text)
    lines = text.splitlines()
    conf_line = next(i for i, line in enumerate(lines, 1) if "1.8" in line)
    ref_line = next(i for i, line in enumerate(lines, 1) if "@cyberr" in line)
    assert (conf_line, "tag 'cyber_attack' rule 1 confidence must be a number between 0.0 and 1.0") in errors
    assert any(line == ref_line and "unknown lexicon '@cyberr'" in msg for line, msg in errors)


def test_yaml_pitfalls_and_structure_errors():
    assert _error_lines("version: x\ntags: [a\n")[0][1].startswith("invalid YAML")
    errors = _error_lines("version: x\ntags:\n  t1:\n    rules:\n      - confidence: 0.5\n        trigger: [no, yes]\n")
    assert errors[0][0] == 6 and "quote it" in errors[0][1]
    errors = _error_lines("version: x\ntags:\n  Bad-Id:\n    rules:\n      - confidence: 0.5\n        trigger: [a]\n        typo: 1\n")
    messages = " ".join(m for _, m in errors)
    assert "lowercase letters" in messages and "unknown key 'typo'" in messages
    assert "missing required key 'version'" in _error_lines("tags:\n  t:\n    rules:\n      - {confidence: 0.5, trigger: [a]}\n")[0][1]


def test_taxonomy_check_command(tmp_path: Path, capsys):
    good = tmp_path / "good.yaml"
    good.write_text(NINTH_TAG)
    assert main(["taxonomy", "check", str(good)]) == 0
    assert "OK" in capsys.readouterr().out
    bad = tmp_path / "bad.yaml"
    bad.write_text(NINTH_TAG.replace("confidence: 0.8", "confidence: high"))
    assert main(["taxonomy", "check", str(bad)]) == 1
    err = capsys.readouterr().err
    assert f"{bad}:10: tag 'cyber_attack' rule 1 confidence must be a number" in err
    assert main(["taxonomy", "check", str(tmp_path / "missing.yaml")]) == 1
