"""The locked test split and the label corpus."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from watchfloor.services.training.corpus import (
    CORPUS_FILE,
    DEFAULT_DATA_DIR,
    MORE_ANNOTATION_FILES,
    CorpusError,
    check_known_labels,
    iter_pool,
    load_corpus,
    read_label_records,
)
from watchfloor.services.training.split import is_locked_test


def test_the_locked_split_is_a_fixed_fifth_of_ids():
    ids = [f"rld-2023-{n:06x}" for n in range(5000)]
    share = sum(map(is_locked_test, ids)) / len(ids)
    assert 0.18 < share < 0.22
    # fixed by the hash alone: these never move
    assert [is_locked_test(i) for i in ("agn-test-1", "agn-test-2", "rld-2023-4831d63f38")] == [
        is_locked_test("agn-test-1"), is_locked_test("agn-test-2"),
        is_locked_test("rld-2023-4831d63f38")]


def _write(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def _data_folder(tmp_path: Path, pool: list[dict]) -> Path:
    """A data folder whose first pool holds ``pool`` (the second is empty)."""
    data = tmp_path / "data"
    data.mkdir()
    _write(data / "news_pool.jsonl", pool)
    _write(data / "news_pool_ext.jsonl", [])
    return data


def test_labels_join_texts_from_the_data_folder_and_later_lines_win(tmp_path):
    data = _data_folder(tmp_path, [
        {"id": "x1", "title": "Navy drills near the coast", "text": "Ships took part."},
        {"id": "x2", "title": "Bakery opens", "text": ""},
    ])
    labels = _write(tmp_path / "labels.jsonl", [
        {"id": "x1", "labels": [], "annotator": "a", "guide": "5", "sample": "random-pool"},
        {"id": "x1", "labels": ["military_exercise"], "annotator": "b", "guide": "5",
         "sample": "random-pool"},
    ])
    items = load_corpus(data, labels_file=labels, with_dev=False)
    assert [(i.id, set(i.labels), i.annotator, i.random_stream) for i in items] == [
        ("x1", {"military_exercise"}, "b", True)]


def test_a_label_for_an_id_missing_from_the_data_is_refused(tmp_path):
    data = _data_folder(tmp_path, [])
    labels = _write(tmp_path / "labels.jsonl", [
        {"id": "gone", "labels": [], "annotator": "a", "guide": "5"}])
    with pytest.raises(CorpusError, match="1 labelled ids are not in"):
        load_corpus(data, labels_file=labels)


def test_a_broken_label_line_names_file_and_line(tmp_path):
    labels = tmp_path / "labels.jsonl"
    labels.write_text('{"id": "a", "labels": [], "annotator": "x", "guide": "5"}\n{"id": "b"}\n')
    with pytest.raises(CorpusError, match=r"labels.jsonl:2: not a label record"):
        read_label_records(labels)


def test_labels_given_as_a_string_are_refused_not_read_as_letters(tmp_path):
    labels = _write(tmp_path / "labels.jsonl", [
        {"id": "a", "labels": "missile_test", "annotator": "x", "guide": "5"}])
    with pytest.raises(CorpusError, match=r"labels.jsonl:1: .*must be a list of tag ids"):
        read_label_records(labels)


def test_a_label_that_is_no_tag_is_named(tmp_path):
    data = _data_folder(tmp_path, [{"id": "x1", "title": "Navy drills", "text": ""}])
    labels = _write(tmp_path / "labels.jsonl", [
        {"id": "x1", "labels": ["missle_test"], "annotator": "a", "guide": "5"}])
    items = load_corpus(data, labels_file=labels, with_dev=False)
    with pytest.raises(CorpusError, match=r"'missle_test' on x1"):
        check_known_labels(items, {"missile_test", "sanctions"})


def test_a_broken_pool_line_names_file_and_line(tmp_path):
    data = _data_folder(tmp_path, [{"id": "x1", "title": "Navy drills", "text": ""}])
    with (data / "news_pool.jsonl").open("a") as pool:
        pool.write('{"id": "x2", "title": "cut off\n')
    with pytest.raises(CorpusError, match=r"news_pool.jsonl:2: not a JSON item"):
        list(iter_pool(data))


def test_a_missing_data_folder_says_which_option_fixes_it(tmp_path):
    with pytest.raises(CorpusError, match="--data-dir"):
        load_corpus(tmp_path / "nowhere", labels_file=CORPUS_FILE)


def test_committed_labels_hold_ids_and_labels_never_text():
    records = read_label_records()
    assert len(records) >= 2500
    for path in (CORPUS_FILE, *(p for p in MORE_ANNOTATION_FILES if p.exists())):
        for line in path.read_text().splitlines():
            assert set(json.loads(line)) <= {"id", "labels", "annotator", "guide", "date",
                                             "sample", "borderline"}, path


@pytest.mark.skipif(not (DEFAULT_DATA_DIR / "news_pool_ext.jsonl").is_file(),
                    reason="needs ../shared/data (the news pools)")
def test_every_committed_label_names_an_item_of_the_pools():
    items = load_corpus()
    assert len(items) >= len(read_label_records())
    random_stream = [i for i in items if i.random_stream]
    assert len(random_stream) >= 500


def test_the_dev_sample_counts_as_labelled_so_no_one_is_asked_to_label_it_again(tmp_path):
    from watchfloor.services.training.corpus import DEV_FILE, already_labelled

    data = _data_folder(tmp_path, [
        {"id": "d1", "title": "Navy drills near the coast", "text": ""},
        {"id": "x2", "title": "Bakery opens", "text": ""},
        {"id": "x3", "title": "Troops move to the border", "text": ""},
    ])
    _write(data / DEV_FILE, [{"id": "d1", "title": "Navy drills near the coast", "text": "",
                              "labels": ["military_exercise"]}])
    labels = _write(tmp_path / "labels.jsonl", [
        {"id": "x2", "labels": [], "annotator": "a", "guide": "5", "sample": "random-pool"}])
    done = already_labelled(labels, data)
    assert {"d1", "x2"} <= done and "x3" not in done
    # the providers' label stays the one training uses
    items = {i.id: i for i in load_corpus(data, labels_file=labels)}
    assert set(items["d1"].labels) == {"military_exercise"}
