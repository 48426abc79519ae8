"""``watchfloor label``: blind annotation that resumes, fed by a mixed queue."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from watchfloor.services.classifier.engine import Classifier
from watchfloor.services.classifier.learned import VerifiedClassifier
from watchfloor.services.classifier.verifier import VerifierModel
from watchfloor.services.cli.label import annotate, parse_answer
from watchfloor.services.training.queue import RANDOM_SHARE, QueuedItem, build_queue

TAGS = ["arms_transfer", "diplomatic_visit", "missile_test"]


def _queue(n: int) -> list[QueuedItem]:
    return [QueuedItem({"id": f"i{k}", "title": f"Headline {k}", "text": f"Body {k}."}, "random")
            for k in range(n)]


def test_answers_become_label_lines_and_quitting_keeps_them(tmp_path):
    out = tmp_path / "labels.jsonl"
    keys = io.StringIO("13\nb\nnonsense\n\nq\n")
    screen = io.StringIO()
    written = annotate(_queue(4), TAGS, "ann", out, keys, screen)
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert written == 3
    assert [(r["id"], r["labels"], r.get("borderline", False)) for r in lines] == [
        ("i0", ["arms_transfer", "missile_test"], False),
        ("i1", [], True),
        ("i2", [], False),
    ]
    assert all(r["annotator"] == "ann" and r["sample"] == "queue-random" for r in lines)
    shown = screen.getvalue()
    assert "Headline 0" in shown and "type the numbers" in shown  # bad key: help, same item
    assert "confidence" not in shown  # blind: never the classifier's answer


def test_parse_answer():
    assert parse_answer("", 8) == (set(), False)
    assert parse_answer("1 3", 8) == ({1, 3}, False)
    assert parse_answer("b2", 8) == ({2}, True)
    assert parse_answer("9", 8) is None
    assert parse_answer("x", 8) is None
    assert parse_answer("q", 8) == "quit" and parse_answer("s", 8) == "skip"


@pytest.fixture(scope="module")
def classifiers() -> tuple[Classifier, VerifiedClassifier]:
    rules = Classifier.from_files()
    return rules, VerifiedClassifier(rules, VerifierModel.load())


def test_the_queue_skips_labelled_items_and_mixes_in_a_random_tenth(classifiers):
    rules, verified = classifiers
    pool = [{"id": f"p{k}", "title": title, "text": ""} for k, title in enumerate([
        "Navy ships sail toward the strait", "Minister meets counterpart in the capital",
        "Rocket launch delayed by weather", "Sanctions talk at the summit",
        "Bakery wins award", "Troops move to the border region", "Deal on grain exports",
        "Film festival opens", "Talks on arms sales", "Drills planned for next week",
    ] * 3)]
    for k, item in enumerate(pool):
        item["id"] = f"p{k}"
    queue = build_queue(pool, {"p0"}, rules, verified, size=20)
    ids = [q.item["id"] for q in queue]
    assert "p0" not in ids and len(ids) == len(set(ids)) == 20
    assert queue[RANDOM_SHARE - 1].reason == "random"
    assert {q.reason for q in queue} <= {"uncertain", "disagree", "random"}


def test_label_command_refuses_a_missing_data_folder(tmp_path, capsys):
    from watchfloor.services.cli.main import main

    code = main(["label", "--annotator", "x", "--labels", str(tmp_path / "l.jsonl"),
                 "--data-dir", str(tmp_path / "none")])
    assert code == 2
    assert "--data-dir" in capsys.readouterr().err
    assert not Path(tmp_path / "l.jsonl").exists()
