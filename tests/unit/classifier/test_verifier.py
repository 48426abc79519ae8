"""The learned verifier: model file, scoring, and the classifier built on it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from watchfloor.services.classifier.engine import Classifier
from watchfloor.services.classifier.features import VALUED_FEATURES, ItemFeatures
from watchfloor.services.classifier.learned import VerifiedClassifier
from watchfloor.services.classifier.protocol import TagClassifier
from watchfloor.services.classifier.taxonomy import load_taxonomy
from watchfloor.services.classifier.verifier import ModelError, VerifierModel


def _model(tmp_path: Path, **overrides) -> Path:
    data = {
        "format": 1,
        "tags": ["missile_test", "sanctions"],
        "bias": [-2.0, -3.0],
        "calibration": [[1.0, 0.0], [1.0, 0.0]],
        "thresholds": {"missile_test": 0.5, "sanctions": 0.9},
        "weights": {"w:launch": [[0, 3.0]], "w:embargo": [[1, 2.0]], "t:missile": [[0, 1.0]]},
    }
    data.update(overrides)
    path = tmp_path / "model.json"
    path.write_text(json.dumps(data))
    return path


def _view(lead: list[str], shared: dict | None = None, by_tag: dict | None = None) -> ItemFeatures:
    return ItemFeatures(shared or {}, lead, by_tag or {})


def test_scores_are_calibrated_probabilities_against_per_tag_thresholds(tmp_path):
    model = VerifierModel.load(_model(tmp_path))
    scores = {s.tag: s for s in model.score(
        _view(["launch", "embargo"], shared={"t:missile": 1.0}))}
    # missile: sigmoid(-2 + 3 + 1) = 0.88 >= 0.5; sanctions: sigmoid(-3 + 2) = 0.27 < 0.9
    assert scores["missile_test"].probability == pytest.approx(0.8808, abs=1e-4)
    assert scores["missile_test"].emitted
    assert not scores["sanctions"].emitted
    assert model.score(_view(["unknown"]))[0].probability == pytest.approx(0.1192, abs=1e-4)


def test_a_tag_with_a_rule_candidate_is_judged_on_the_candidate_not_the_lead(tmp_path):
    model = VerifierModel.load(_model(tmp_path))
    # the lead says "launch"; missile_test's own candidate sentence does not
    view = _view(["launch"], by_tag={"missile_test": {"w:embargo": 1.0}})
    scores = {s.tag: s for s in model.score(view)}
    assert scores["missile_test"].probability == pytest.approx(0.1192, abs=1e-4)  # sigmoid(-2)
    assert scores["sanctions"].probability == pytest.approx(0.0474, abs=1e-4)  # lead: sigmoid(-3)


def test_calibration_rescales_the_margin(tmp_path):
    model = VerifierModel.load(_model(tmp_path, calibration=[[2.0, 1.0], [1.0, 0.0]]))
    # sigmoid(2 * (-2 + 3) + 1) = sigmoid(3)
    assert model.score(_view(["launch"]))[0].probability == pytest.approx(0.9526, abs=1e-4)


def test_a_missing_or_broken_model_file_is_a_clear_error(tmp_path):
    with pytest.raises(ModelError, match="cannot read model"):
        VerifierModel.load(tmp_path / "absent.json")
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(ModelError, match="not a JSON model"):
        VerifierModel.load(bad)
    with pytest.raises(ModelError, match="unknown model format"):
        VerifierModel.load(_model(tmp_path, format=99))
    incomplete = tmp_path / "incomplete.json"
    incomplete.write_text(json.dumps({"format": 1, "tags": ["a"]}))
    with pytest.raises(ModelError, match="incomplete model"):
        VerifierModel.load(incomplete)


def test_the_packaged_model_covers_the_packaged_taxonomy():
    model = VerifierModel.load()
    assert sorted(model.tags) == sorted(load_taxonomy().tag_ids)
    assert all(0 < t < 1 for t in model.thresholds)


@pytest.fixture(scope="module")
def learned() -> VerifiedClassifier:
    return VerifiedClassifier(Classifier.from_files(), VerifierModel.load())


def test_the_learned_classifier_is_a_tag_classifier_whose_version_names_the_model(learned):
    assert isinstance(learned, TagClassifier)
    rules_version, model_part = learned.version.split("+")
    assert rules_version == learned.rules.version
    assert model_part == f"model.{learned.model.digest[:12]}"
    assert learned.classify("A", "").classifier_version == learned.version


def test_seed_case_treaty_troops_and_missile_test(learned):
    result = learned.classify(
        "North Korea and Russia reaffirm treaty as Pyongyang sends troops and tests missile",
        "North Korea and Russia reaffirmed their mutual defence treaty on Tuesday. Pyongyang "
        "has sent 10,000 to 12,000 troops to Russia, officials said. North Korea also "
        "test-fired a new anti-aircraft missile, state media reported.",
    )
    assert {"missile_test", "troop_deployment", "treaty_reaffirmation"} <= set(result.tag_ids)
    assert {"KP", "RU"} <= {a.id for a in result.actors}
    troops = [f for f in result.figures if f.kind == "troops"]
    assert troops and troops[0].low == 10_000 and troops[0].high == 12_000
    for tag in result.tags:  # confidence is the model's probability; evidence is a sentence
        assert 0 < tag.confidence <= 1
        span = tag.evidence_span
        assert span is not None and tag.evidence in (span.text,)


def test_unrelated_news_gets_no_tag(learned):
    result = learned.classify("Local bakery wins award for sourdough",
                              "The shop on the high street has been baking since 1920.")
    assert result.tags == []


def test_an_item_without_a_tag_gets_no_figures_from_either_classifier(learned):
    # the rules alone extracted them anyway: the two output shapes differed
    title, text = "Market report", "The company paid $1.2 billion for the stake."
    for classifier in (learned, Classifier(load_taxonomy())):
        result = classifier.classify(title, text)
        assert result.tags == [] and result.figures == []


def test_a_tag_without_a_rule_candidate_takes_the_model_s_strongest_sentence(tmp_path):
    # a model that emits missile_test on the word "launch" alone, which no rule needs
    model = VerifierModel.load(_model(tmp_path))
    classifier = VerifiedClassifier(Classifier(load_taxonomy()), model)
    title = "Quiet week in the capital"
    text = "Markets were calm. Officials confirmed the launch happened at dawn."
    result = classifier.classify(title, text)
    match = result.tag("missile_test")
    assert match is not None and match.modality == "asserted"
    assert match.evidence == "Officials confirmed the launch happened at dawn."
    assert [t.text for t in match.triggers] == ["launch"]
    trigger = match.triggers[0]
    assert text[trigger.start:trigger.end] == "launch"


def test_of_two_equally_strong_words_the_first_in_the_sentence_is_the_trigger(tmp_path):
    # "harbour" and "dawn" weigh the same and neither is the tag's own word:
    # the trigger must not depend on the process's string hashing (it did
    # when the words were a set)
    model = VerifierModel.load(_model(tmp_path, weights={"w:harbour": [[0, 3.0]],
                                                         "w:dawn": [[0, 3.0]]}))
    classifier = VerifiedClassifier(Classifier(load_taxonomy()), model)
    for text, first in (("The harbour was busy at dawn.", "harbour"),
                        ("At dawn the harbour was busy.", "dawn")):
        match = classifier.classify("Quiet week", text).tag("missile_test")
        assert match is not None and [t.text for t in match.triggers] == [first]


@pytest.mark.parametrize("text", [
    "İzmir officials confirmed the launch happened at dawn.",  # "İ" lowercases to two
    "The prelaunch checks ended and the launch happened at dawn.",  # the word inside another
])
def test_the_trigger_s_offsets_point_at_the_word_itself(tmp_path, text):
    model = VerifierModel.load(_model(tmp_path))
    classifier = VerifiedClassifier(Classifier(load_taxonomy()), model)
    match = classifier.classify("Quiet week in the capital", text).tag("missile_test")
    assert match is not None
    [trigger] = match.triggers
    assert trigger.text == "launch" and text[trigger.start:trigger.end] == "launch"
    assert text[trigger.start - 4:trigger.start] == "the "


def test_a_valued_feature_counts_its_value_the_others_count_once(tmp_path):
    # the rule candidate's confidence is a value: 0.5 x its weight
    model = VerifierModel.load(_model(tmp_path, weights={"rc:cand": [[0, 4.0]], "w:launch": [[0, 3.0]]}))
    view = _view([], by_tag={"missile_test": {"rc:cand": 0.5, "w:launch": 1.0}})
    # sigmoid(-2 + 0.5 * 4 + 3) = sigmoid(3)
    assert model.score(view)[0].probability == pytest.approx(0.9526, abs=1e-4)


def test_only_the_valued_features_carry_a_value_other_than_one(learned):
    title = "North Korea test-fires missiles as Russia sends troops"
    text = ("Pyongyang fired two ballistic missiles on Monday, officials said. Moscow deployed "
            "3,000 soldiers to the border. The two states reaffirmed their defence treaty.")
    features, candidates, _ = learned.features(title, text)
    assert candidates  # the rules proposed something, so candidate features are in the view
    views = [features.shared, features.lead, *features.by_tag.values()]
    valued = {name for view in views for name, value in view.items() if value != 1.0}
    assert valued <= set(VALUED_FEATURES)


def _vocabulary_texts(model: VerifierModel, count: int) -> list[list[str]]:
    """Word lists drawn from the model's own word and pair features (so most
    of their features are known to it), with stopwords, numbers and repeats."""
    import random

    rng = random.Random(7)
    words = sorted({part for name in model._weights if name[:2] in ("w:", "b:")
                    for part in name[2:].split("_")})
    extra = ["the", "of", "#", "^", "and", "said", "unknownword"]
    return [[rng.choice(words + extra) for _ in range(rng.randint(0, 80))] for _ in range(count)]


def test_the_lead_s_known_features_are_found_as_words_features_would_add_them():
    from watchfloor.services.classifier.features import LEAD_MARK, KnownWordFeatures, words_features

    model = VerifierModel.load()
    known = {name: index for index, name in enumerate(model._weights)}
    index = KnownWordFeatures(known)
    for words in _vocabulary_texts(model, 400):
        full = words_features(words, {LEAD_MARK: 1.0})
        expected = {name: known[name] for name in full if name in known}
        found = index.present(words, {LEAD_MARK: known[LEAD_MARK]} if LEAD_MARK in known else {})
        assert list(found.items()) == list(expected.items())  # same features, same order


def test_lead_scores_equal_the_sums_over_the_lead_s_full_features():
    model = VerifierModel.load()
    for words in _vocabulary_texts(model, 200):
        features = ItemFeatures({}, words, {})
        lead_sums = model._column_sums(model._lead_rows(words))
        full = [model._sum(features.lead, index) for index in range(len(model.tags))]
        assert lead_sums == full  # to the last bit


def test_emitted_tags_are_the_scores_that_clear_their_thresholds():
    """``emitted`` skips the probability of a margin far below its threshold:
    it must keep every tag ``score`` emits, with the same probability, on
    leads with and without rule candidates, and near the thresholds."""
    model = VerifierModel.load()
    checked = 0
    for number, words in enumerate(_vocabulary_texts(model, 1000)):
        by_tag = {}
        if number % 3 == 0:  # a candidate for one tag, judged on its sentence
            by_tag[model.tags[number % len(model.tags)]] = {"r:cand": 1.0, "rc:cand": 0.4,
                                                            **{"w:" + w: 1.0 for w in words[:12]}}
        view = ItemFeatures({"t:" + w: 1.0 for w in words[:8]}, words, by_tag)
        expected = [s for s in model.score(view) if s.emitted]
        assert model.emitted(view) == expected
        checked += len(expected)
    assert checked >= 10  # the texts emit tags, so the comparison is not vacuous


def test_a_margin_just_at_the_threshold_is_emitted(tmp_path):
    # sigmoid(margin) >= 0.5 exactly at margin 0: bias -3 + weight 3
    model = VerifierModel.load(_model(tmp_path, thresholds={"missile_test": 0.5, "sanctions": 0.5},
                                      bias=[-3.0, -3.0]))
    emitted = model.emitted(_view(["launch"]))
    assert [(s.tag, s.probability) for s in emitted] == [("missile_test", 0.5)]


def test_a_tag_s_sum_weighs_each_feature_by_its_value():
    model = VerifierModel.load()
    features = {"r:cand": 1.0, "rc:cand": 0.4, "w:missile": 1.0, "w:no-such-word": 1.0}
    for index in range(len(model.tags)):
        weight = {name: model._weights[name][index] for name in features if name in model._weights}
        expected = sum(weight.get(name, 0.0) * value for name, value in features.items())
        assert model._sum(features, index) == pytest.approx(expected, abs=1e-12)
    assert any(model._weights["rc:cand"])  # the valued feature moves some tag


@pytest.mark.parametrize(("flags", "factor"), [
    ({"m:asserted": 1.0}, 1.0), ({"m:reported": 1.0}, 1.0), ({"m:planned": 1.0}, 1.0),
    ({"m:denied": 1.0}, 0.55), ({"m:hypothetical": 1.0}, 0.6),
    ({"m:denied": 1.0, "r:negated": 1.0}, 0.45),
])
def test_a_denied_negated_or_hypothetical_candidate_lowers_the_probability(
        tmp_path, flags, factor):
    # the guide labels them no event, but too few are labelled for the model to
    # learn it: a denial scored 0.97 before
    model = VerifierModel.load(_model(tmp_path))
    view = _view([], by_tag={"missile_test": {"w:launch": 1.0, **flags}})
    (missile, _) = model.score(view)
    assert missile.probability == pytest.approx(0.7311 * factor, abs=1e-4)  # sigmoid(1)
    emitted = {s.tag: s.probability for s in model.emitted(view)}
    assert emitted.get("missile_test") == (missile.probability if factor * 0.7311 >= 0.5
                                           else None)


def test_a_tag_without_a_candidate_takes_its_modality_from_its_sentence(tmp_path):
    model = VerifierModel.load(_model(tmp_path))
    classifier = VerifiedClassifier(Classifier(load_taxonomy()), model)
    result = classifier.classify("Quiet week in the capital",
                                 "Markets were calm. The army may launch at dawn.")
    assert result.tag("missile_test").modality == "hypothetical"  # was always asserted


def test_a_tag_without_a_candidate_shows_its_own_event_word_and_that_word_s_modality(tmp_path):
    # the model weighs "dawn", which says nothing of the event: the officer is
    # shown the tag's own word ("launch"), and a headline's "to launch" is a
    # plan whichever word the model weighs (it was "asserted", trigger "dawn")
    model = VerifierModel.load(_model(tmp_path, weights={"w:dawn": [[0, 3.0]]}))
    classifier = VerifiedClassifier(Classifier(load_taxonomy()), model)
    title = "Navy to launch at dawn"
    match = classifier.classify(title, "").tag("missile_test")
    assert match is not None and match.modality == "planned"
    [trigger] = match.triggers
    assert trigger.field == "title" and title[trigger.start:trigger.end] == "launch"
    # the same words in a past-tense headline stay asserted
    match = classifier.classify("Navy launched at dawn", "").tag("missile_test")
    assert match is not None and match.modality == "asserted"
    assert [t.text for t in match.triggers] == ["launched"]
