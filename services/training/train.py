"""Fit the verifier from the labelled corpus, reproducibly.

1. Drop the locked test split (``split.py``): nothing here sees it.
2. Features for every item from the rule candidates, words and gazetteer
   (``classifier.features``, the code classification runs).
3. Story-grouped 5-fold cross-validation: out-of-fold scores for each C of
   the grid, per tag; the C with the best out-of-fold F1 wins.
4. Calibration: a one-dimensional logistic fit of the out-of-fold margins
   to the labels (Platt scaling), so the confidence is a probability.
5. Threshold per tag on the calibrated out-of-fold probabilities: the one
   with the best F-beta (beta < 1 weighs precision: false alarms cost trust).
6. The watchlist ``min_confidence`` at which the out-of-fold tags of the
   items drawn at random (the natural stream: events rare, keyword-drawn
   look-alikes not the norm) reach STREAM_PRECISION, recorded in the model's
   meta with the recall it leaves: what an officer who wants fewer false
   alarms than the default thresholds give should set.
7. The final model is fit on all training items; small weights are dropped.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from watchfloor.services.classifier.engine import Classifier
from watchfloor.services.classifier.features import candidate_discount
from watchfloor.services.classifier.learned import verifier_features
from watchfloor.services.classifier.verifier import FORMAT
from watchfloor.services.training.corpus import CORPUS_FILE, MORE_ANNOTATION_FILES, LabelledItem
from watchfloor.services.training.stories import story_groups

C_GRID = (0.1, 0.3, 1.0, 3.0)
FOLDS = 5
BETA = 0.7  # < 1: precision counts more than recall
MIN_FEATURE_ITEMS = 3  # a feature seen in one or two items is noise
WEIGHT_FLOOR = 0.05  # smaller weights move no decision; dropping them keeps the file small
SEED = 20261130
STREAM_PRECISION = 0.90  # out-of-fold, pooled over tags, on random-stream items
CONFIDENCE_GRID = (0.0, *(step / 100 for step in range(40, 96, 5)))
GUIDE_LEVELS = (0.0, 0.5, 0.6, 0.7, 0.8, 0.85, 0.9)  # the console's min_confidence guide
MIN_POSITIVES = 5  # fewer, and a tag is left untrained: it never emits


@dataclass
class TagFit:
    tag: str
    c: float
    threshold: float
    calibration: tuple[float, float]
    cv_precision: float
    cv_recall: float
    cv_f1: float
    positives: int


@dataclass(frozen=True)
class StreamConfidence:
    """A minimum confidence over every tag's threshold, and what it gives out
    of fold on the random-stream items (pooled over tags)."""

    min_confidence: float
    precision: float
    recall: float
    tags_emitted: int


@dataclass
class TrainingResult:
    model: dict
    fits: list[TagFit] = field(default_factory=list)

    @property
    def cv_macro_f1(self) -> float:
        return sum(f.cv_f1 for f in self.fits) / len(self.fits)


def f_beta(precision: float, recall: float, beta: float = 1.0) -> float:
    if precision + recall == 0:
        return 0.0
    b2 = beta * beta
    return (1 + b2) * precision * recall / (b2 * precision + recall)


def best_threshold(probabilities: Sequence[float], truth: Sequence[bool],
                   beta: float = BETA) -> tuple[float, float, float]:
    """(threshold, precision, recall) with the best F-beta, over a fixed grid."""
    positives = sum(truth)
    best = (0.5, 0.0, 0.0, -1.0)
    for step in range(10, 91):
        threshold = step / 100
        predicted = [p >= threshold for p in probabilities]
        tp = sum(1 for p, t in zip(predicted, truth, strict=True) if p and t)
        n = sum(predicted)
        precision = tp / n if n else 0.0
        recall = tp / positives if positives else 0.0
        score = f_beta(precision, recall, beta)
        if score > best[3]:
            best = (threshold, precision, recall, score)
    return best[0], best[1], best[2]


def stream_at(scored: Sequence[tuple[Sequence[float], Sequence[bool], float]],
              stream: Sequence[bool], least: float) -> StreamConfidence:
    """What tags at probability >= max(tag threshold, ``least``) give on the
    stream items, pooled over tags. ``scored``: per tag, out-of-fold
    probabilities, truth and threshold, aligned with ``stream``."""
    tp = fp = fn = 0
    for probabilities, truth, threshold in scored:
        cut = max(threshold, least)
        for p, t, s in zip(probabilities, truth, stream, strict=True):
            if s:
                emitted = p >= cut
                tp += emitted and t
                fp += emitted and not t
                fn += t and not emitted
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    return StreamConfidence(least, precision, recall, tp + fp)


def stream_confidence(scored: Sequence[tuple[Sequence[float], Sequence[bool], float]],
                      stream: Sequence[bool], target: float = STREAM_PRECISION
                      ) -> StreamConfidence:
    """The lowest confidence of CONFIDENCE_GRID at which the tags emitted on
    stream items reach ``target`` precision; the most precise one when none
    does."""
    results = []
    for least in CONFIDENCE_GRID:
        results.append(stream_at(scored, stream, least))
        if results[-1].tags_emitted and results[-1].precision >= target:
            return results[-1]
    return max(results, key=lambda r: (r.precision, -r.min_confidence))


def train(
    items: Sequence[LabelledItem],
    rules: Classifier,
    tags: Sequence[str],
    *,
    progress: Callable[[str], None] = lambda _msg: None,
    beta: float = BETA,
) -> TrainingResult:
    import numpy as np
    import sklearn
    from sklearn.feature_extraction import DictVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import GroupKFold

    train_items = [item for item in items if not item.locked_test]
    progress(f"features for {len(train_items)} training items (locked test split left out)")
    views = [verifier_features(rules, item.title, item.text)[0] for item in train_items]
    groups = story_groups([(item.title, item.text) for item in train_items])
    stories = len(set(groups))
    if stories < 2:
        raise ValueError(f"{len(train_items)} training items in {stories} story: too few to train")
    folds = list(GroupKFold(n_splits=min(FOLDS, stories)).split(views, groups=groups))
    progress(f"{stories} stories, {len(folds)} folds")

    def tag_matrix(tag: str):
        """Each tag sees the item its own way (its candidate's sentence)."""
        vectorizer = DictVectorizer(sort=True)
        matrix = vectorizer.fit_transform([view.for_tag(tag) for view in views])
        seen_in = np.asarray((matrix != 0).sum(axis=0)).ravel()
        keep = np.flatnonzero(seen_in >= MIN_FEATURE_ITEMS)
        return matrix[:, keep].tocsr(), [vectorizer.feature_names_[i] for i in keep]

    def model(c: float) -> LogisticRegression:
        return LogisticRegression(C=c, solver="liblinear", max_iter=5000, random_state=SEED)

    fits: list[TagFit] = []
    scored: list[tuple[Sequence[float], Sequence[bool], float]] = []
    feature_count = 0
    weights: dict[str, list[list[float]]] = {}
    bias: list[float] = []
    for index, tag in enumerate(tags):
        truth = np.array([tag in item.labels for item in train_items])
        matrix, names = tag_matrix(tag)
        feature_count = max(feature_count, len(names))
        # as the classifier emits: a negated, denied or hypothetical candidate lowered
        discounts = np.array([candidate_discount(view.by_tag.get(tag)) for view in views])
        if truth.sum() < MIN_POSITIVES or truth.sum() > len(truth) - MIN_POSITIVES:
            progress(f"{tag}: only {int(truth.sum())} positives of {len(truth)}: left untrained "
                     "(never emitted); label more")
            bias.append(-30.0)
            fits.append(TagFit(tag, 0.0, 0.99, (1.0, 0.0), 0.0, 0.0, 0.0, int(truth.sum())))
            continue
        best = None
        for c in C_GRID:
            margins = np.zeros(len(train_items))
            for train_rows, test_rows in folds:
                fitted = model(c).fit(matrix[train_rows], truth[train_rows])
                margins[test_rows] = fitted.decision_function(matrix[test_rows])
            scale, shift = _platt(margins, truth)
            probabilities = discounts / (1 + np.exp(-(scale * margins + shift)))
            threshold, precision, recall = best_threshold(probabilities.tolist(), truth.tolist(),
                                                          beta)
            score = f_beta(precision, recall)
            if best is None or score > best[0]:
                best = (score, c, threshold, precision, recall, (scale, shift),
                        probabilities.tolist())
        assert best is not None
        score, c, threshold, precision, recall, calibration, probabilities = best
        scored.append((probabilities, truth.tolist(), threshold))
        final = model(c).fit(matrix, truth)
        for column in np.flatnonzero(np.abs(final.coef_[0]) >= WEIGHT_FLOOR):
            weights.setdefault(names[column], []).append([index, round(float(final.coef_[0][column]), 4)])
        bias.append(round(float(final.intercept_[0]), 4))
        fits.append(TagFit(tag, c, threshold, (round(calibration[0], 4), round(calibration[1], 4)),
                           precision, recall, score, int(truth.sum())))
        progress(f"{tag}: C={c} threshold={threshold:.2f} cv P={precision:.3f} R={recall:.3f} "
                 f"F1={score:.3f} ({int(truth.sum())} positives)")

    stream_items = [item.random_stream for item in train_items]
    default = stream_at(scored, stream_items, 0.0)  # the thresholds alone
    stream = stream_confidence(scored, stream_items)
    progress(f"out of fold, on the {sum(stream_items)} random-stream items: default thresholds "
             f"precision {default.precision:.3f} recall {default.recall:.3f}; with a watchlist "
             f"min_confidence of {stream.min_confidence:.2f}: precision {stream.precision:.3f} "
             f"recall {stream.recall:.3f}")
    labels = hashlib.sha256()
    for path in (CORPUS_FILE, *MORE_ANNOTATION_FILES):
        if path.exists():
            labels.update(path.read_bytes())
    return TrainingResult(
        model={
            "format": FORMAT,
            "tags": list(tags),
            "bias": bias,
            "calibration": [list(f.calibration) for f in fits],
            "thresholds": {f.tag: f.threshold for f in fits},
            "weights": dict(sorted(weights.items())),
            "meta": {
                "rules": rules.version,
                "labels_sha256": labels.hexdigest()[:16],
                "training_items": len(train_items),
                "features": feature_count,
                "seed": SEED,
                "sklearn": sklearn.__version__,
                "cv": {f.tag: {"C": f.c, "precision": round(f.cv_precision, 4),
                               "recall": round(f.cv_recall, 4), "f1": round(f.cv_f1, 4)}
                       for f in fits},
                "stream": {"items": sum(stream_items),
                           "precision": round(default.precision, 4),
                           "recall": round(default.recall, 4),
                           "by_min_confidence": [
                               {"min_confidence": least, "precision": round(at.precision, 4),
                                "recall": round(at.recall, 4)}
                               for least in GUIDE_LEVELS
                               if (at := stream_at(scored, stream_items, least)).tags_emitted],
                           f"precision_{STREAM_PRECISION:.2f}_at_min_confidence":
                               stream.min_confidence,
                           "recall_there": round(stream.recall, 4)},
            },
        },
        fits=fits,
    )


def _platt(margins, truth) -> tuple[float, float]:
    """Fit p = sigmoid(a * margin + b) on held-out margins."""
    from sklearn.linear_model import LogisticRegression

    fitted = LogisticRegression(C=1e4, solver="lbfgs", max_iter=1000)
    fitted.fit(margins.reshape(-1, 1), truth)
    scale, shift = float(fitted.coef_[0][0]), float(fitted.intercept_[0])
    if not math.isfinite(scale) or scale <= 0:
        return 1.0, 0.0
    return scale, shift


def write_model(model: dict, path: Path) -> str:
    """Write the model deterministically; return its sha256."""
    data = json.dumps(model, sort_keys=True, separators=(",", ":")).encode()
    path.write_bytes(data + b"\n")
    return hashlib.sha256(data + b"\n").hexdigest()
