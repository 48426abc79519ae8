"""``watchfloor eval``: score the classifier on a labeled JSON-lines file."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Collection
from pathlib import Path

from watchfloor.services.classifier.evaluation import (
    EvalReport,
    LabeledItem,
    evaluate,
    read_labeled,
)
from watchfloor.services.classifier.protocol import TagClassifier
from watchfloor.services.classifier.taxonomy import TaxonomyError, known_tag_ids
from watchfloor.services.classifier.verifier import ModelError
from watchfloor.services.cli.classify import add_classifier_option
from watchfloor.services.cli.paths import input_problem


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "eval",
        help="score the classifier on labeled items (precision, recall, F1)",
        description=(
            "Classify labelled items and print per-tag precision, recall and F1 with 95 % "
            "intervals, the macro-F1, the precision of tags at confidence thresholds 0.5..0.9, "
            "the precision on items drawn at random (the natural stream), and the misclassified "
            "items with the evidence used. Either --labeled FILE (JSON lines: id, title, text, "
            "labels) or --corpus: the project's locked test split, read with the texts from "
            "the data folder, plus the alert rate over every item of the pools."
        ),
    )
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--labeled", type=Path, help="labeled JSON-lines file")
    source.add_argument("--corpus", action="store_true",
                        help="the project's labelled corpus: its locked test split")
    parser.add_argument("--data-dir", type=Path,
                        help="with --corpus: folder with news_pool*.jsonl (default: ../shared/data)")
    parser.add_argument("--no-alert-rate", action="store_true",
                        help="with --corpus: skip classifying the whole pool")
    parser.add_argument("--taxonomy", type=Path, help="taxonomy YAML (default: the packaged one)")
    add_classifier_option(parser)
    parser.add_argument("--show-errors", type=int, default=20, metavar="N", help="misclassified items to list (default 20)")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of tables")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from watchfloor.services.cli.classify import build_classifier
    from watchfloor.services.cli.loaded_settings import load_settings
    from watchfloor.services.training.corpus import CorpusError

    problem = input_problem(args.labeled, "labeled file") if args.labeled else None
    if problem:
        print(f"watchfloor eval: {problem}", file=sys.stderr)
        return 2
    alert_rate = None
    try:
        settings = load_settings()
        classifier = build_classifier(args.taxonomy, args.classifier, settings)
        # the tags of the taxonomy the classifier uses: a label outside them is a typo
        tag_ids = sorted(known_tag_ids(args.taxonomy or settings.taxonomy_file))
        if args.corpus:
            items, data_dir = corpus_test_items(args.data_dir, tag_ids)
        else:
            items = read_labeled(args.labeled, tag_ids)
    except (TaxonomyError, ModelError, CorpusError, ValueError) as exc:
        print(f"watchfloor eval: {exc}", file=sys.stderr)
        return 2
    report = evaluate(classifier, items, tag_ids)
    if args.corpus and not args.no_alert_rate:
        alert_rate = pool_alert_rate(classifier, data_dir)
    if args.json:
        data = report.to_dict()
        data["mistakes"] = data["mistakes"][: max(args.show_errors, 0)]
        if alert_rate is not None:
            data["pool_alert_rate"] = alert_rate
        print(json.dumps(data, indent=2))
    else:
        print(format_report(report, args.show_errors))
        if alert_rate is not None:
            print(f"\nalert rate over the pools: {alert_rate['tagged']:,} of "
                  f"{alert_rate['items']:,} items get a tag ({alert_rate['rate']:.1%})")
    return 0


def corpus_test_items(data_dir: Path | None,
                      known_tags: Collection[str]) -> tuple[list[LabeledItem], Path]:
    from watchfloor.services.training.corpus import (
        DEFAULT_DATA_DIR,
        CorpusError,
        load_corpus,
    )

    data_dir = data_dir or DEFAULT_DATA_DIR
    items = [
        LabeledItem(item.id, item.title, item.text, item.labels, item.random_stream)
        for item in load_corpus(data_dir, known_tags=known_tags) if item.locked_test
    ]
    if not items:  # scored, nothing would read as perfect
        raise CorpusError(f"no item of the locked test split is in {data_dir}")
    return items, data_dir


def pool_alert_rate(classifier: TagClassifier, data_dir: Path) -> dict:
    """How many items of the whole pools would get at least one tag."""
    from watchfloor.services.training.corpus import iter_pool
    from watchfloor.shared.progress import Progress

    progress = Progress("watchfloor eval: alert rate")
    items = tagged = 0
    for raw in iter_pool(data_dir):
        items += 1
        tagged += bool(classifier.classify(raw.get("title", ""), raw.get("text", "")).tags)
        progress.add()
    return {"items": items, "tagged": tagged, "rate": round(tagged / items, 4) if items else 0.0}


def _at_confidence_table(title: str, counts: dict[float, tuple[int, int, int]]) -> list[str]:
    lines = ["", title, f"{'>=':>6}{'tags':>7}{'correct':>9}{'precision':>11}{'recall':>8}"]
    for threshold, (n, ok, positives) in sorted(counts.items()):
        precision = f"{ok / n:.3f}" if n else "-"
        recall = f"{ok / positives:.3f}" if positives else "-"
        lines.append(f"{threshold:>6.2f}{n:>7}{ok:>9}{precision:>11}{recall:>8}")
    return lines


def format_report(report: EvalReport, show_errors: int) -> str:
    lines = [f"{report.items} items, classifier {report.classifier_version}", ""]
    lines.append(f"{'tag':<24}{'precision (95%)':>22}{'recall (95%)':>22}{'F1 (95%)':>22}"
                 f"{'support':>9}{'fp':>5}{'fn':>5}")
    for tag, s in sorted(report.scores.items()):
        if not s.observed:  # neither labelled nor emitted: nothing to score
            lines.append(f"{tag:<24}{'-':>22}{'-':>22}{'-':>22}{0:>9}{0:>5}{0:>5}")
            continue
        lines.append(
            f"{tag:<24}"
            f"{_with_interval(s.precision, s.precision_interval) if s.predicted else '-':>22}"
            f"{_with_interval(s.recall, s.recall_interval) if s.support else '-':>22}"
            f"{_with_interval(s.f1, report.f1_intervals.get(tag)):>22}{s.support:>9}"
            f"{s.false_positives:>5}{s.false_negatives:>5}"
        )
    macro = report.macro_f1
    lines.append(f"{'macro-F1':<24}{'':>44}"
                 f"{'-' if macro is None else _with_interval(macro, report.f1_intervals.get('macro')):>22}")
    if report.random_stream is not None:
        r = report.random_stream
        lines += ["", f"random stream ({report.random_stream_items} items drawn at random, "
                  f"{r.true_positives + r.false_positives} tags emitted): "
                  f"precision {_with_interval(r.precision, r.precision_interval) if r.predicted else '-'}, "
                  f"recall {_with_interval(r.recall, r.recall_interval)}"]
    lines += _at_confidence_table("precision at confidence (all tags)", report.at_confidence)
    if report.stream_at_confidence:
        lines += _at_confidence_table(
            "precision at confidence (random stream: what a watchlist's min_confidence gives)",
            report.stream_at_confidence)
    if show_errors > 0 and report.mistakes:
        lines += ["", f"misclassified items ({len(report.mistakes)}, showing {min(show_errors, len(report.mistakes))})"]
        for mistake in report.mistakes[:show_errors]:
            lines.append(f"- {mistake.item.id}: {mistake.item.title}")
            lines.append(f"    expected {sorted(mistake.item.labels)}  got {sorted(mistake.got)}")
            for match in mistake.classification.tags:
                if match.tag in mistake.extra:
                    triggers = ", ".join(repr(t.text) for t in match.triggers)
                    lines.append(f"    + {match.tag} ({match.confidence:.2f}, {match.modality}) by [{triggers}] in: {match.evidence}")
            if mistake.missed:
                lines.append(f"    - missed {sorted(mistake.missed)}; text: {mistake.item.text[:200]}")
    return "\n".join(lines)


def _with_interval(value: float, interval: tuple[float, float] | None) -> str:
    if interval is None:
        return f"{value:.3f}"
    return f"{value:.3f} [{interval[0]:.2f}-{interval[1]:.2f}]"
