"""What an analyst editing the rules relies on: a term matches however it was
pasted, every valid setting is kept, a tag removed is gone in both modes,
mistakes that `check` cannot call errors are warned of, and `eval` on a
small labelled file scores only the tags it has data for."""

from __future__ import annotations

import json
import unicodedata
from pathlib import Path

import pytest
import yaml
from watchfloor.services.classifier.engine import Classifier
from watchfloor.services.classifier.evaluation import LabeledItem, evaluate
from watchfloor.services.classifier.learned import VerifiedClassifier
from watchfloor.services.classifier.taxonomy import (
    DEFAULT_TAXONOMY_PATH,
    TaxonomyError,
    load_taxonomy,
    parse_taxonomy,
)
from watchfloor.services.classifier.verifier import VerifierModel
from watchfloor.services.cli.eval import format_report
from watchfloor.services.cli.main import main
from watchfloor.shared.schemas import Classification, TagMatch


def _cyber(trigger: str, *, without: str = "", threshold: str = "") -> str:
    without = f"without: {without}" if without else ""
    return f"""version: test-1
{threshold}
tags:
  cyber_attack:
    rules:
      - id: r
        confidence: 0.3
        trigger: [{trigger}]
        {without}
"""


@pytest.mark.parametrize("term", [
    '"Fancy\u00a0Bear"',  # a no-break space, as pasted from a page
    '"Fancy  Bear"',  # two spaces
])
def test_a_term_pasted_with_odd_spaces_still_matches(term):
    taxonomy = parse_taxonomy(_cyber(term, threshold="emit_threshold: 0.2"))
    result = Classifier(taxonomy).classify("Fancy Bear struck again", "")
    assert result.tag_ids == ["cyber_attack"]


def test_a_term_in_decomposed_form_matches_the_composed_text():
    decomposed = unicodedata.normalize("NFD", "piratage de l'état")
    assert decomposed != "piratage de l'état"
    taxonomy = parse_taxonomy(_cyber(f'"{decomposed}"', threshold="emit_threshold: 0.2"))
    result = Classifier(taxonomy).classify("Un piratage de l'état visé", "")
    assert result.tag_ids == ["cyber_attack"]


def test_an_emit_threshold_of_zero_is_kept():
    assert parse_taxonomy(_cyber("hack", threshold="emit_threshold: 0")).emit_threshold == 0.0
    assert parse_taxonomy(_cyber("hack", threshold="emit_threshold: 0.0")).emit_threshold == 0.0
    assert parse_taxonomy(_cyber("hack")).emit_threshold == 0.5  # the default when unset


def test_a_blank_quoted_term_is_called_blank_not_unquoted():
    with pytest.raises(TaxonomyError) as info:
        parse_taxonomy(_cyber('"  "'))
    assert "blanks only" in str(info.value) and "quote it" not in str(info.value)


def test_a_packaged_tag_left_out_of_the_taxonomy_is_not_emitted_by_the_learned_classifier(
        tmp_path: Path):
    document = yaml.safe_load(DEFAULT_TAXONOMY_PATH.read_text(encoding="utf-8"))
    del document["tags"]["sanctions"]
    document["version"] = "custom-1"
    file = tmp_path / "no_sanctions.yaml"
    file.write_text(yaml.safe_dump(document), encoding="utf-8")
    rules = Classifier.from_files(file)
    assert "sanctions" not in rules.taxonomy.tag_ids
    title, body = "EU imposes new sanctions on Iran", "The EU imposed sanctions on Iran on Monday."
    packaged = VerifiedClassifier(Classifier.from_files(), VerifierModel.load())
    assert "sanctions" in packaged.classify(title, body).tag_ids  # the model knows the tag
    assert "sanctions" not in VerifiedClassifier(rules, VerifierModel.load()).classify(
        title, body).tag_ids
    assert "sanctions" not in rules.classify(title, body).tag_ids


def test_check_warns_of_a_trigger_that_brings_its_own_veto(tmp_path: Path, capsys):
    file = tmp_path / "t.yaml"
    file.write_text(_cyber("cyber espionage, ransomware", without="[cyber*]"))
    assert main(["taxonomy", "check", str(file)]) == 0
    err = capsys.readouterr().err
    assert "trigger 'cyber espionage' brings its own veto 'cyber*'" in err
    assert "'ransomware'" not in err  # that trigger can fire


@pytest.mark.parametrize(("trigger", "veto", "dead"), [
    ("cyber espionage", "espionage", True),
    ("state-backed hack", "state backed", True),  # dashes read as spaces
    ("attack*", "attacks", False),  # "attack" itself is not vetoed
    ("attack*", "att*", True),
    ("us troops", "US", False),  # the veto matches only that case
    ("hacking", "hack", False),  # a whole word is not a part of one
])
def test_which_vetoes_silence_a_trigger(trigger, veto, dead):
    taxonomy = parse_taxonomy(_cyber(f'"{trigger}"', without=f'["{veto}"]'))
    assert any("brings its own veto" in w for w in taxonomy.warnings()) == dead


def test_check_warns_when_edited_rules_keep_the_packaged_version(tmp_path: Path, capsys):
    text = DEFAULT_TAXONOMY_PATH.read_text(encoding="utf-8")
    copy, edited, bumped = (tmp_path / n for n in ("copy.yaml", "edited.yaml", "bumped.yaml"))
    copy.write_text(text, encoding="utf-8")
    changed = text.replace("shot, shoots, lob,", "shot, shoots, hurl, lob,")
    assert changed != text
    edited.write_text(changed, encoding="utf-8")
    version = load_taxonomy().version
    bumped.write_text(changed.replace(f"version: {version}", "version: ours-1"), encoding="utf-8")
    for file, warned in ((copy, False), (edited, True), (bumped, False)):
        assert main(["taxonomy", "check", str(file)]) == 0
        err = capsys.readouterr().err
        assert ("is the packaged rules' version, but these rules differ" in err) == warned, file


class _Answers:
    version = "fixed"

    def __init__(self, answers: dict[str, list[str]]) -> None:
        self.answers = answers

    def classify(self, title: str, text: str) -> Classification:
        return Classification(tags=[TagMatch(tag=t, confidence=0.9, modality="asserted",
                                             evidence=title) for t in self.answers.get(title, [])],
                              classifier_version=self.version)


def test_eval_scores_only_the_tags_labelled_or_emitted():
    items = [LabeledItem("1", "a", "", frozenset({"cyber_attack"})),
             LabeledItem("2", "b", "", frozenset({"cyber_attack"})),
             LabeledItem("3", "c", "", frozenset({"diplomatic_visit"}))]
    report = evaluate(_Answers({"a": ["cyber_attack"], "b": ["cyber_attack"]}), items,
                      ["cyber_attack", "diplomatic_visit", "missile_test", "sanctions"])
    # cyber_attack 1.0, diplomatic_visit 0.0; the two tags no item names have no score
    assert report.macro_f1 == pytest.approx(0.5)
    assert report.f1_intervals["macro"][1] <= 1.0
    assert "missile_test" not in report.f1_intervals
    row = next(line for line in format_report(report, 0).splitlines()
               if line.startswith("missile_test"))
    assert row.split()[1:4] == ["-", "-", "-"]
    # emitted but never labelled: a precision (all false), no recall
    extra = evaluate(_Answers({"a": ["cyber_attack", "sanctions"]}), items[:1],
                     ["cyber_attack", "sanctions"])
    row = next(line for line in format_report(extra, 0).splitlines() if line.startswith("sanctions"))
    assert row.split()[1:4] == ["0.000", "[0.00-0.79]", "-"]
    assert extra.to_dict()["tags"]["sanctions"]["recall"] is None
    as_json = json.loads(json.dumps(report.to_dict()))
    assert as_json["tags"]["missile_test"]["f1"] is None
    assert as_json["tags"]["cyber_attack"]["f1"] == 1.0
