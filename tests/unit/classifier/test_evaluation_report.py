"""``eval``'s numbers: intervals, the random stream, refusing unlabeled files."""

from __future__ import annotations

import json

import pytest
from watchfloor.services.classifier.evaluation import (
    LabeledItem,
    evaluate,
    read_labeled,
    wilson_interval,
)
from watchfloor.shared.schemas import Classification, TagMatch


class FixedClassifier:
    """Answers from a table: the scores, not the rules, are under test."""

    version = "fixed"

    def __init__(self, answers: dict[str, list[str]], confidence: dict[str, float] | None = None
                 ) -> None:
        self.answers = answers
        self.confidence = confidence or {}  # title -> confidence of its tags (else 0.9)

    def classify(self, title: str, text: str) -> Classification:
        return Classification(
            tags=[TagMatch(tag=t, confidence=self.confidence.get(title, 0.9), modality="asserted",
                           evidence=title)
                  for t in self.answers.get(title, [])],
            classifier_version=self.version,
        )

    def classify_article(self, article):  # pragma: no cover - protocol completeness
        return self.classify(article.title, article.text)


def test_wilson_interval_is_sound_at_the_edges():
    low, high = wilson_interval(10, 10)
    assert high == 1.0 and 0.69 < low < 0.73  # 10/10 is not proof of 100 %
    assert wilson_interval(0, 0) == (0.0, 1.0)
    low, high = wilson_interval(50, 100)
    assert low == pytest.approx(0.404, abs=1e-3) and high == pytest.approx(0.596, abs=1e-3)


def test_scores_intervals_and_the_random_stream():
    items = [
        LabeledItem("1", "a", "", frozenset({"sanctions"}), random_stream=True),
        LabeledItem("2", "b", "", frozenset(), random_stream=True),
        LabeledItem("3", "c", "", frozenset({"sanctions"})),
        LabeledItem("4", "d", "", frozenset()),
    ]
    classifier = FixedClassifier({"a": ["sanctions"], "b": ["sanctions"], "c": ["sanctions"]})
    report = evaluate(classifier, items, ["sanctions"])
    score = report.scores["sanctions"]
    assert (score.true_positives, score.false_positives, score.false_negatives) == (2, 1, 0)
    low, high = report.f1_intervals["sanctions"]
    assert 0 <= low <= score.f1 <= high <= 1
    # random stream: items 1 and 2 only; one right, one false alarm
    assert report.random_stream_items == 2
    assert report.random_stream.precision == 0.5 and report.random_stream.recall == 1.0
    data = report.to_dict()
    assert data["random_stream"]["tags_emitted"] == 2
    assert data["tags"]["sanctions"]["precision_95"][0] < 2 / 3 < data["tags"]["sanctions"]["precision_95"][1]


def test_precision_at_confidence_on_the_random_stream_alone():
    """What a watchlist's min_confidence gives on a natural feed: only items
    drawn at random count."""
    items = [
        LabeledItem("1", "a", "", frozenset({"sanctions"}), random_stream=True),
        LabeledItem("2", "b", "", frozenset(), random_stream=True),
        LabeledItem("3", "c", "", frozenset({"sanctions"}), random_stream=True),
        LabeledItem("4", "d", "", frozenset()),  # keyword-drawn: not in the stream's figures
    ]
    classifier = FixedClassifier({"a": ["sanctions"], "b": ["sanctions"], "c": ["sanctions"],
                                  "d": ["sanctions"]},
                                 confidence={"a": 0.95, "b": 0.6, "c": 0.55, "d": 0.99})
    report = evaluate(classifier, items, ["sanctions"])
    # (tags at or above, of which right, positives)
    assert report.stream_at_confidence[0.5] == (3, 2, 2)
    assert report.stream_at_confidence[0.6] == (2, 1, 2)
    assert report.stream_at_confidence[0.9] == (1, 1, 2)
    assert report.at_confidence[0.9] == (2, 1, 2)  # all items: the keyword-drawn one counts
    rows = {r["threshold"]: r for r in report.to_dict()["random_stream_precision_at_confidence"]}
    assert (rows[0.85]["precision"], rows[0.85]["recall"]) == (1.0, 0.5)


def test_bootstrap_intervals_are_reproducible():
    items = [LabeledItem(str(n), str(n), "", frozenset({"sanctions"} if n % 2 else set()))
             for n in range(40)]
    classifier = FixedClassifier({str(n): ["sanctions"] for n in range(0, 40, 3)})
    first = evaluate(classifier, items, ["sanctions"]).f1_intervals
    second = evaluate(classifier, items, ["sanctions"]).f1_intervals
    assert first == second


def test_a_file_without_labels_is_refused_with_a_reason(tmp_path):
    path = tmp_path / "items.jsonl"
    path.write_text(json.dumps({"id": "1", "title": "t", "text": "x", "label": ["sanctions"]}) + "\n")
    with pytest.raises(ValueError, match="no item has a 'labels' field"):
        read_labeled(path)


def test_labels_must_be_a_list(tmp_path):
    path = tmp_path / "items.jsonl"
    path.write_text(json.dumps({"id": "1", "title": "t", "labels": "sanctions"}) + "\n")
    with pytest.raises(ValueError, match=r"items.jsonl:1: .*labels must be a list"):
        read_labeled(path)


def _lines(path, *rows) -> None:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")


def test_an_item_with_no_text_is_refused_not_scored_as_missed(tmp_path):
    # a `watchfloor label` file holds ids and labels: scored, every label was a miss
    path = tmp_path / "ids.jsonl"
    _lines(path, {"id": "a", "labels": ["sanctions"]})
    with pytest.raises(ValueError, match=r"ids.jsonl:1: .*nothing to classify.*--corpus"):
        read_labeled(path)


def test_a_half_labelled_file_is_refused_naming_the_lines(tmp_path):
    # an item without labels was scored as "no tag": its tags counted as false alarms
    path = tmp_path / "half.jsonl"
    _lines(path, {"id": "a", "title": "t", "labels": []}, {"id": "b", "title": "u"})
    with pytest.raises(ValueError, match=r"1 item\(s\) without a 'labels' field \(lines 2\)"):
        read_labeled(path)


def test_a_file_with_a_bom_reads_and_one_in_latin_1_names_the_byte(tmp_path):
    path = tmp_path / "bom.jsonl"
    path.write_bytes(b"\xef\xbb\xbf" + json.dumps({"id": "a", "title": "t", "labels": []}).encode()
                     + b"\n")
    assert [i.id for i in read_labeled(path)] == ["a"]
    path.write_bytes(b'{"id": "a", "title": "caf\xe9", "labels": []}\n')
    with pytest.raises(ValueError, match=r"bom.jsonl is not UTF-8 text \(byte 26\)"):
        read_labeled(path)


def test_a_tag_never_emitted_has_no_precision_and_nothing_to_score_has_no_macro_f1():
    items = [LabeledItem("1", "a", "", frozenset({"sanctions"})),
             LabeledItem("2", "b", "", frozenset())]
    report = evaluate(FixedClassifier({}), items, ["sanctions", "missile_test"])
    data = report.to_dict()
    assert data["tags"]["sanctions"]["precision"] is None  # it read 1.0
    assert data["tags"]["sanctions"]["recall"] == 0.0
    negatives = evaluate(FixedClassifier({}), [items[1]], ["sanctions"])
    assert negatives.macro_f1 is None and negatives.to_dict()["macro_f1"] is None  # it read 0.0
