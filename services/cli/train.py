"""``watchfloor train``: rebuild the verifier model from the labels."""

from __future__ import annotations

import argparse
import os
import platform
import sys
from pathlib import Path

from watchfloor.services.classifier.verifier import DEFAULT_MODEL_PATH


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "train",
        help="rebuild the learned verifier from the labelled corpus",
        description=(
            "Read the project's labels (services/training/labels) and the item texts from the "
            "data folder, leave the locked test split out, choose each tag's regularisation by "
            "story-grouped 5-fold cross-validation, calibrate, pick per-tag thresholds for "
            "precision and write the model (JSON). Same labels and versions, same file. Needs "
            "scikit-learn (pip install 'watchfloor[train]'). Exit 2 if the data or the labels "
            "cannot be read."
        ),
    )
    parser.add_argument("--data-dir", type=Path, help="folder with news_pool*.jsonl "
                        "(default: ../shared/data beside the checkout)")
    parser.add_argument("--output", type=Path, default=DEFAULT_MODEL_PATH,
                        help="model file to write (default: the packaged one)")
    parser.set_defaults(func=run)


# numpy picks its SIMD kernels by CPU at import (AVX-512 where there is one),
# and OpenBLAS (under numpy, scipy and so the logistic fits) its own by CPU
# model (SkylakeX, Zen, ...): sums then round differently in the last bits
# and a weight or a cross-validated choice (a tag's C or threshold) can move.
# Training uses the AVX2 kernels of both on every machine, so any x86-64 CPU
# with AVX2 rebuilds the committed model byte for byte. Set before numpy is
# imported; a value the user set is kept.
TRAINING_NUMPY_KERNELS = ("NPY_DISABLE_CPU_FEATURES", "X86_V4 AVX512_ICL AVX512_SPR")
TRAINING_BLAS_KERNELS = ("OPENBLAS_CORETYPE", "Haswell")  # x86-64 only


def pin_numpy_kernels() -> bool:
    """Whether numpy and OpenBLAS will use the training kernels (False:
    numpy was imported already, with the machine's own)."""
    if "numpy" in sys.modules:
        return False
    os.environ.setdefault(*TRAINING_NUMPY_KERNELS)
    if platform.machine() == "x86_64":
        os.environ.setdefault(*TRAINING_BLAS_KERNELS)
    return True


def run(args: argparse.Namespace) -> int:
    from watchfloor.services.cli.paths import output_problem

    problem = output_problem(args.output)  # before minutes of training, not after
    if problem:
        print(f"watchfloor train: {problem}", file=sys.stderr)
        return 2
    if not pin_numpy_kernels():
        print("watchfloor train: warning: numpy was loaded before training; the model may "
              "differ from the committed one in its last digits", file=sys.stderr)
    try:
        import sklearn  # noqa: F401
    except ImportError:
        print("watchfloor train: needs scikit-learn: pip install 'watchfloor[train]'",
              file=sys.stderr)
        return 2
    from watchfloor.services.classifier.factory import rule_classifier
    from watchfloor.services.cli.loaded_settings import load_settings
    from watchfloor.services.training.corpus import (
        DEFAULT_DATA_DIR,
        CorpusError,
        load_corpus,
    )
    from watchfloor.services.training.train import train, write_model

    def say(message: str) -> None:
        print(f"watchfloor train: {message}", file=sys.stderr, flush=True)

    settings = load_settings()
    data_dir = args.data_dir or DEFAULT_DATA_DIR
    rules = rule_classifier(settings)
    try:
        items = load_corpus(data_dir, known_tags=rules.taxonomy.tag_ids)
    except CorpusError as exc:
        print(f"watchfloor train: {exc}", file=sys.stderr)
        return 2
    say(f"{len(items)} labelled items from {data_dir}")
    try:
        result = train(items, rules, rules.taxonomy.tag_ids, progress=say)
    except ValueError as exc:  # too few items, a tag with no positive
        print(f"watchfloor train: cannot train: {exc}", file=sys.stderr)
        return 2
    digest = write_model(result.model, args.output)
    say(f"cross-validated macro-F1 {result.cv_macro_f1:.3f} (training split only)")
    print(f"wrote {args.output} sha256 {digest}")
    return 0
