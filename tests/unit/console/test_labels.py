"""Judgements become label records in the form the training reads."""

from __future__ import annotations

import json

import pytest
from fakeredis import FakeAsyncRedis
from watchfloor.services.console.labels import GUIDE_VERSION as CONSOLE_GUIDE
from watchfloor.services.console.labels import (
    Judgement,
    JudgementError,
    LabelStore,
    apply_judgement,
    check_judgement,
)
from watchfloor.services.training.corpus import GUIDE_VERSION, read_label_records
from watchfloor.shared.keys import Keys

from tests.unit.console.factories import T0

KNOWN = {"missile_test", "sanctions", "military_exercise"}


def test_wrong_removes_and_missed_adds_a_tag() -> None:
    assert apply_judgement(["missile_test", "sanctions"], Judgement("wrong", "sanctions")) == [
        "missile_test"]
    assert apply_judgement(["missile_test"], Judgement("missed", "sanctions")) == [
        "missile_test", "sanctions"]


def test_an_unknown_tag_or_kind_is_refused_with_the_known_tags() -> None:
    with pytest.raises(JudgementError, match="unknown tag 'rocket'.*missile_test"):
        check_judgement("wrong", "rocket", KNOWN)
    with pytest.raises(JudgementError, match="'wrong' or 'missed'"):
        check_judgement("maybe", "missile_test", KNOWN)


async def test_judgements_accumulate_per_officer_and_export_as_corpus_records(tmp_path) -> None:
    store = LabelStore(FakeAsyncRedis(), Keys("t"))
    await store.judge("u-1", "ada", Judgement("wrong", "sanctions"),
                      classifier_tags=["missile_test", "sanctions"], now=T0)
    record = await store.judge("u-1", "ada", Judgement("missed", "military_exercise"),
                               classifier_tags=["missile_test", "sanctions"], now=T0)
    assert record["labels"] == ["military_exercise", "missile_test"]
    assert record["note"] == "console: wrong tag sanctions; missed tag military_exercise"
    await store.judge("u-1", "bob", Judgement("wrong", "missile_test"),
                      classifier_tags=["missile_test", "sanctions"], now=T0)

    exported = await store.export()
    path = tmp_path / "console.jsonl"
    path.write_text(exported)
    records = read_label_records(path)  # what training reads
    assert {(r.id, r.annotator, r.labels) for r in records} == {
        ("u-1", "ada", frozenset({"military_exercise", "missile_test"})),
        ("u-1", "bob", frozenset({"sanctions"})),
    }
    assert {(r.guide, r.sample) for r in records} == {(GUIDE_VERSION, "console")}
    first = json.loads(exported.splitlines()[0])
    assert first["date"] == "2026-11-30" and first["classifier_tags"] == ["missile_test", "sanctions"]


def test_judgements_are_recorded_under_the_guide_in_force() -> None:
    assert CONSOLE_GUIDE == GUIDE_VERSION
