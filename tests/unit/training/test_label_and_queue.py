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
from watchfloor.services.training.corpus import LabelRecord
from watchfloor.services.training.passes import second_pass_ids, third_pass_ids
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


def test_input_ending_in_the_middle_of_an_answer_writes_nothing_for_it(tmp_path):
    # Ctrl-D after typing "3" hands over "3" without Enter: a half answer
    out = tmp_path / "labels.jsonl"
    screen = io.StringIO()
    written = annotate(_queue(3), TAGS, "ann", out, io.StringIO("1\n3"), screen)
    assert written == 1
    assert [json.loads(line)["id"] for line in out.read_text().splitlines()] == ["i0"]
    assert "input ended before Enter: '3' not written" in screen.getvalue()


def test_parse_answer():
    assert parse_answer("", 8) == (set(), False)
    assert parse_answer("1 3", 8) == ({1, 3}, False)
    assert parse_answer("b2", 8) == ({2}, True)
    assert parse_answer("9", 8) is None
    assert parse_answer("x", 8) is None
    assert parse_answer("q", 8) == "quit" and parse_answer("s", 8) == "skip"


def test_digits_that_are_not_ascii_get_the_help_not_a_traceback():
    assert parse_answer("²", 8) is None and parse_answer("①", 8) is None


def test_with_ten_tags_or_more_numbers_are_separated():
    assert parse_answer("1 10", 12) == ({1, 10}, False)
    assert parse_answer("b10", 12) == ({10}, True)
    assert parse_answer("110", 12) is None  # not tags 1, 1 and 0


def test_a_line_added_by_hand_without_a_line_break_is_not_glued_to(tmp_path):
    out = tmp_path / "labels.jsonl"
    out.write_text('{"id": "x", "labels": []}')  # no final line break
    annotate(_queue(1), TAGS, "ann", out, io.StringIO("1\n"), io.StringIO())
    assert [json.loads(line)["id"] for line in out.read_text().splitlines()] == ["x", "i0"]


class _AnotherSession(io.StringIO):
    """Keys of one annotator; while the first item is shown, another session
    labels items i1 and i0 in the same file."""

    def __init__(self, keys: str, labels: Path) -> None:
        super().__init__(keys)
        self.labels = labels
        self.done = False

    def readline(self, *args):  # type: ignore[no-untyped-def]
        if not self.done:
            with self.labels.open("a") as handle:
                for item in ("i1", "i0"):
                    handle.write(json.dumps({"id": item, "labels": [], "annotator": "bob"}) + "\n")
            self.done = True
        return super().readline(*args)


def test_an_item_labelled_meanwhile_in_another_session_is_neither_shown_nor_replaced(tmp_path):
    out = tmp_path / "labels.jsonl"
    screen = io.StringIO()
    written = annotate(_queue(3), TAGS, "alice", out, _AnotherSession("1\n2\n", out), screen)
    records = [json.loads(line) for line in out.read_text().splitlines()]
    assert written == 1
    assert [(r["id"], r["annotator"]) for r in records] == [
        ("i1", "bob"), ("i0", "bob"), ("i2", "alice")]
    assert "labelled meanwhile in another session" in screen.getvalue()


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


def _record(item_id: str, labels: set[str], annotator: str) -> LabelRecord:
    return LabelRecord(item_id, frozenset(labels), annotator, "5", "random-ext")


def test_a_second_pass_asks_for_items_with_one_label_given_by_someone_else():
    first = {"a": _record("a", set(), "ann"), "b": _record("b", {"sanctions"}, "bob"),
             "c": _record("c", set(), "bob"), "d": _record("d", set(), "bob")}
    second = {"d": _record("d", set(), "cy")}
    ids = second_pass_ids(first, second, "ann")
    assert sorted(ids) == ["b", "c"]  # not a (ann's own), not d (has its second)
    assert ids == second_pass_ids(first, second, "ann")  # the same order every session


def test_a_third_pass_settles_disagreements_with_a_third_annotator():
    first = {i: _record(i, {"sanctions"}, "ann") for i in "abcd"}
    second = {"a": _record("a", set(), "bob"), "b": _record("b", {"sanctions"}, "bob"),
              "c": _record("c", set(), "cy"), "d": _record("d", set(), "bob")}
    third = {"d": _record("d", set(), "dee")}
    # b agrees, d is settled already; c was labelled by cy, who cannot settle it
    assert third_pass_ids(first, second, third, "cy") == ["a"]
    assert third_pass_ids(first, second, third, "eve") == ["a", "c"]


def test_a_pass_keeps_how_the_item_was_first_drawn(tmp_path):
    out = tmp_path / "second.jsonl"
    queue = [QueuedItem({"id": "x", "title": "Headline", "text": ""}, "second-pass", "random-pool")]
    assert annotate(queue, TAGS, "bob", out, io.StringIO("2\n"), io.StringIO()) == 1
    record = json.loads(out.read_text())
    assert (record["labels"], record["sample"]) == (["diplomatic_visit"], "random-pool")


def test_label_second_pass_shows_corpus_items_again_and_writes_where_asked(
        tmp_path, monkeypatch, capsys):
    from watchfloor.services.cli.main import main
    from watchfloor.services.training.corpus import CORPUS_FILE, latest_records

    first = latest_records(CORPUS_FILE)
    wanted = second_pass_ids(first, {}, "tester")[:2]
    data = tmp_path / "data"  # invented texts under the ids the queue asks for
    data.mkdir()
    (data / "news_pool.jsonl").write_text("".join(
        json.dumps({"id": i, "title": f"Invented headline {n}", "text": "Invented text."}) + "\n"
        for n, i in enumerate(wanted)))
    (data / "news_pool_ext.jsonl").write_text("")
    out = tmp_path / "second.jsonl"
    monkeypatch.setattr("sys.stdin", io.StringIO("\n3\n"))
    assert main(["label", "--pass", "second", "--annotator", "tester", "--labels", str(out),
                 "--data-dir", str(data), "--limit", "2"]) == 0
    shown = capsys.readouterr().out
    assert "Invented headline 0" in shown and "Invented headline 1" in shown
    records = [json.loads(line) for line in out.read_text().splitlines()]
    assert [(r["id"], r["labels"], r["sample"]) for r in records] == [
        (wanted[0], [], first[wanted[0]].sample),
        (wanted[1], ["military_exercise"], first[wanted[1]].sample)]


def test_label_says_when_a_pass_has_nothing_left(capsys):
    from watchfloor.services.cli.main import main

    # every committed item has its second label, and every disagreement its third
    for label_pass in ("second", "third"):
        assert main(["label", "--pass", label_pass, "--annotator", "tester"]) == 0
        assert "nothing to label for tester" in capsys.readouterr().err


def test_a_label_written_while_this_session_chooses_its_items_is_not_replaced(
        tmp_path, monkeypatch):
    # bob answers while alice's queue is being built: alice was shown the
    # same item, and her line replaced his (3 runs out of 3)
    from watchfloor.services.cli import label
    from watchfloor.services.cli.main import build_parser

    out = tmp_path / "labels.jsonl"

    def choosing(args, settings, data_dir, labels_file):
        with labels_file.open("a") as handle:
            handle.write(json.dumps({"id": "i0", "labels": [], "annotator": "bob"}) + "\n")
        return TAGS, _queue(2)

    monkeypatch.setattr(label, "_new_items", choosing)
    monkeypatch.setattr("sys.stdin", io.StringIO("1\n1\n"))
    args = build_parser().parse_args(["label", "--annotator", "alice", "--labels", str(out)])
    assert label.run(args) == 0
    records = [json.loads(line) for line in out.read_text().splitlines()]
    assert [(r["id"], r["annotator"]) for r in records] == [("i0", "bob"), ("i1", "alice")]


def test_an_empty_annotator_name_is_refused(capsys):
    from watchfloor.services.cli.main import build_parser

    with pytest.raises(SystemExit) as exit_info:
        build_parser().parse_args(["label", "--annotator", "  "])
    assert exit_info.value.code == 2
    assert "must name you" in capsys.readouterr().err
