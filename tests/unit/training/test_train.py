"""Training: thresholds, determinism, and a model that learns what it is shown."""

from __future__ import annotations

import hashlib
import platform
import subprocess
import sys
from pathlib import Path

import pytest
from watchfloor.services.classifier.engine import Classifier
from watchfloor.services.classifier.learned import VerifiedClassifier
from watchfloor.services.classifier.taxonomy import load_taxonomy
from watchfloor.services.classifier.verifier import DEFAULT_MODEL_PATH, VerifierModel
from watchfloor.services.training.corpus import DEFAULT_DATA_DIR, LabelledItem, load_corpus
from watchfloor.services.training.train import (
    best_threshold,
    f_beta,
    stream_confidence,
    train,
    write_model,
)

pytest.importorskip("sklearn")


def test_f_beta_weighs_precision_when_beta_is_below_one():
    assert f_beta(1.0, 0.5) == pytest.approx(2 / 3)
    assert f_beta(0.9, 0.5, beta=0.5) > f_beta(0.5, 0.9, beta=0.5)
    assert f_beta(0.0, 0.0) == 0.0


def test_best_threshold_separates_cleanly_separated_scores():
    threshold, precision, recall = best_threshold([0.9, 0.8, 0.3, 0.2], [True, True, False, False])
    assert 0.3 < threshold <= 0.8
    assert (precision, recall) == (1.0, 1.0)


def test_stream_confidence_is_the_least_that_makes_stream_tags_precise_enough():
    # one tag, threshold 0.3; six stream items and one keyword-drawn item
    probabilities = [0.95, 0.9, 0.8, 0.72, 0.6, 0.5, 0.99]
    truth = [True, True, False, True, False, True, False]
    stream = [True] * 6 + [False]  # the last is not from the stream: never counted
    choice = stream_confidence([(probabilities, truth, 0.3)], stream, target=0.8)
    # the threshold alone: 4 of 6 right; from 0.65, 3 of 4; from 0.75, 2 of 3;
    # from 0.85, 2 of 2 (and half the stream's events)
    assert (choice.min_confidence, choice.precision, choice.recall) == (0.85, 1.0, 0.5)
    as_is = stream_confidence([(probabilities, truth, 0.3)], stream, target=0.0)
    assert (as_is.min_confidence, as_is.tags_emitted) == (0.0, 6)
    # out of reach: the most precise confidence, and what it costs
    unreachable = stream_confidence([(probabilities, truth, 0.3)], stream, target=1.01)
    assert unreachable.precision == 1.0 and unreachable.min_confidence == 0.85


PLACES = ["Avalon", "Borduria", "Carpania", "Dorvia", "Elbonia", "Freedonia", "Genovia",
          "Hyrkania", "Illyria", "Jotunheim", "Krakozhia", "Latveria", "Moldavia", "Nerdvana"]
WHEN = ["on Monday", "early on Tuesday", "at dawn", "overnight", "last week", "on Friday"]


def _synthetic() -> list[LabelledItem]:
    """Invented items: launches of missiles versus launches of products and
    sports news, varied enough to be separate stories."""
    items = []
    for n in range(42):
        place, when = PLACES[n % len(PLACES)], WHEN[n % len(WHEN)]
        items.append(LabelledItem(
            f"syn-m{n}", f"{place} test-fires ballistic missile {when}",
            f"The army of {place} said the launch {when} was a success, its {n}th this year.",
            frozenset({"missile_test"})))
        items.append(LabelledItem(
            f"syn-p{n}", f"{place} startup launches phone {when}",
            f"Shoppers in {place} queued {when} for the device, model {n}.", frozenset()))
        items.append(LabelledItem(
            f"syn-s{n}", f"{place} Rockets beat rivals {when}",
            f"Fans of the {place} side cheered win {n} {when}.", frozenset()))
    return items


def test_training_learns_the_labels_and_is_reproducible(tmp_path):
    rules = Classifier(load_taxonomy())
    items = _synthetic()
    first = train(items, rules, ["missile_test", "sanctions"])
    second = train(items, rules, ["missile_test", "sanctions"])
    a = write_model(first.model, tmp_path / "a.json")
    b = write_model(second.model, tmp_path / "b.json")
    assert a == b  # same labels, same versions: the same bytes
    model = VerifierModel.load(tmp_path / "a.json")
    learned = VerifiedClassifier(rules, model)
    assert learned.classify("Wakanda test-fires ballistic missile",
                            "The army said the launch was a success.").tag_ids == ["missile_test"]
    assert learned.classify("Wakanda startup launches phone",
                            "Shoppers queued for the device.").tag_ids == []
    trained_on = [i for i in items if not i.locked_test]
    fit = {f.tag: f for f in first.fits}["missile_test"]
    assert fit.cv_f1 > 0.9
    assert fit.positives == sum("missile_test" in i.labels for i in trained_on)
    assert first.model["meta"]["training_items"] == len(trained_on) < len(items)


def _has_avx2() -> bool:
    try:
        return platform.machine() == "x86_64" and " avx2 " in Path("/proc/cpuinfo").read_text()
    except OSError:
        return False


@pytest.mark.slow
@pytest.mark.skipif(not (DEFAULT_DATA_DIR / "news_pool_ext.jsonl").is_file(),
                    reason="needs ../shared/data (the news pools)")
def test_the_committed_model_is_what_training_rebuilds(tmp_path):
    """`watchfloor train` pins numpy's kernels, so on any x86-64 CPU with AVX2
    it rebuilds the committed model byte for byte. Elsewhere (another
    architecture) rounding can move a cross-validated choice a little: the
    rebuilt model must then still be the committed one in what it decides —
    the same tags on at least 97 % of the corpus — and was trained on the
    same labels, items and features. A labels or rules change breaks both."""
    output = tmp_path / "model.json"
    subprocess.run([sys.executable, "-m", "watchfloor.services.cli.main", "train",
                    "--output", str(output)], check=True, capture_output=True)
    digest = hashlib.sha256(output.read_bytes()).hexdigest()
    if digest == hashlib.sha256(DEFAULT_MODEL_PATH.read_bytes()).hexdigest():
        return
    stale = "the committed model is stale: run `make train`"
    assert not _has_avx2(), stale
    rules = Classifier.from_files()
    corpus = load_corpus()
    committed = VerifierModel.load(DEFAULT_MODEL_PATH)
    rebuilt = VerifierModel.load(output)

    def trained_on(model: VerifierModel) -> dict:  # labels, items, features, rules, seed
        return {k: v for k, v in model.meta.items() if k != "cv"}

    assert trained_on(rebuilt) == trained_on(committed), stale
    old, new = VerifiedClassifier(rules, committed), VerifiedClassifier(rules, rebuilt)
    same = sum(old.classify(i.title, i.text).tag_ids == new.classify(i.title, i.text).tag_ids
               for i in corpus)
    assert same / len(corpus) >= 0.97, f"{stale} ({same} of {len(corpus)} items tagged alike)"
