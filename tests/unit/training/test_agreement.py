"""Agreement between blind labellings, and labels decided by majority."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from watchfloor.services.cli.main import main
from watchfloor.services.training.agreement import TagAgreement, disagreements, tag_agreement
from watchfloor.services.training.corpus import (
    CorpusError,
    LabelRecord,
    load_corpus,
    majority_labels,
)


def test_kappa_discounts_the_agreement_expected_by_chance():
    # 100 items: both 20, first only 5, second only 10, neither 65 ->
    # observed 0.85, chance 0.25*0.30 + 0.75*0.70 = 0.60, kappa 0.25/0.40
    assert TagAgreement("t", 100, 20, 5, 10).kappa == pytest.approx(0.625)
    assert TagAgreement("t", 50, 10, 0, 0).kappa == 1.0
    assert TagAgreement("t", 50, 0, 0, 0).kappa == 1.0  # neither ever gave it
    assert TagAgreement("t", 4, 0, 2, 2).kappa < 0  # worse than chance


def test_agreement_counts_only_items_both_labelled():
    first = {"a": frozenset({"sanctions"}), "b": frozenset(), "c": frozenset({"sanctions"})}
    second = {"a": frozenset({"sanctions"}), "b": frozenset({"sanctions"}), "z": frozenset()}
    [row] = tag_agreement(first, second, ["sanctions"])
    assert (row.items, row.both, row.first_only, row.second_only) == (2, 1, 0, 1)
    assert disagreements(first, second) == ["b"]
    assert disagreements(first, second, settled=["b"]) == []


def _vote(*labels: str, who: str = "x") -> LabelRecord:
    return LabelRecord("i", frozenset(labels), who, "5", "random-ext")


def test_the_majority_decides_and_a_tie_keeps_the_first_answer():
    first, second = _vote("sanctions", "diplomatic_visit"), _vote("sanctions")
    assert majority_labels([first]) == {"sanctions", "diplomatic_visit"}
    assert majority_labels([first, second]) == {"sanctions", "diplomatic_visit"}
    assert majority_labels([second, first]) == {"sanctions"}
    assert majority_labels([first, second, _vote()]) == {"sanctions"}
    assert majority_labels([second, first, _vote("diplomatic_visit")]) == {
        "sanctions", "diplomatic_visit"}


def _write(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def _corpus_files(tmp_path: Path) -> tuple[Path, Path, Path, Path]:
    data = tmp_path / "data"
    data.mkdir()
    _write(data / "news_pool.jsonl", [
        {"id": "x1", "title": "Ministers meet in the capital", "text": ""},
        {"id": "x2", "title": "Bakery opens", "text": ""},
    ])
    _write(data / "news_pool_ext.jsonl", [])
    first = _write(tmp_path / "first.jsonl", [
        {"id": "x1", "labels": [], "annotator": "a", "guide": "5", "sample": "random-pool"},
        {"id": "x2", "labels": [], "annotator": "a", "guide": "5", "sample": "keyword-visit"},
    ])
    second = _write(tmp_path / "second.jsonl", [
        {"id": "x1", "labels": ["diplomatic_visit"], "annotator": "c", "guide": "5"}])
    third = _write(tmp_path / "third.jsonl", [
        {"id": "x1", "labels": ["diplomatic_visit"], "annotator": "d", "guide": "5"}])
    return data, first, second, third


def test_an_item_labelled_three_times_takes_the_majority(tmp_path):
    data, first, second, third = _corpus_files(tmp_path)
    tie = {i.id: i.labels for i in load_corpus(data, labels_file=first,
                                               more_annotations=[second], with_dev=False)}
    assert tie == {"x1": frozenset(), "x2": frozenset()}
    settled = {i.id: (i.labels, i.sample) for i in load_corpus(
        data, labels_file=first, more_annotations=[second, third], with_dev=False)}
    assert settled == {"x1": ({"diplomatic_visit"}, "random-pool"),
                       "x2": (frozenset(), "keyword-visit")}


def test_a_second_label_for_an_item_outside_the_corpus_is_refused(tmp_path):
    data, first, _, _ = _corpus_files(tmp_path)
    stray = _write(tmp_path / "stray.jsonl", [
        {"id": "x9", "labels": [], "annotator": "c", "guide": "5"}])
    with pytest.raises(CorpusError, match="1 ids have a second label but none in .*x9"):
        load_corpus(data, labels_file=first, more_annotations=[stray])


def test_the_agreement_command_prints_kappa_per_tag(tmp_path, capsys):
    _, first, second, _ = _corpus_files(tmp_path)
    assert main(["labels", "agreement", "--first", str(first), "--second", str(second)]) == 0
    out = capsys.readouterr().out
    assert "1 items labelled by both; 1 differ in at least one tag" in out
    visit = next(line for line in out.splitlines() if line.startswith("diplomatic_visit"))
    assert visit.split() == ["diplomatic_visit", "0", "0", "1", "0.00"]
    assert main(["labels", "agreement", "--first", str(first), "--second", str(second),
                 "--disagreements"]) == 0
    assert capsys.readouterr().out.split() == ["x1"]


def test_the_agreement_command_says_when_the_files_share_no_item(tmp_path, capsys):
    _, first, _, _ = _corpus_files(tmp_path)
    other = _write(tmp_path / "other.jsonl", [
        {"id": "q", "labels": [], "annotator": "c", "guide": "5"}])
    assert main(["labels", "agreement", "--first", str(first), "--second", str(other)]) == 2
    assert "share no item id" in capsys.readouterr().err
