"""``watchfloor eval``: score the classifier on a labeled JSON-lines file."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from watchfloor.services.classifier.evaluation import EvalReport, evaluate, read_labeled
from watchfloor.services.classifier.taxonomy import TaxonomyError


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "eval",
        help="score the classifier on labeled items (precision, recall, F1)",
        description=(
            "Classify each item of a labeled JSON-lines file (id, title, text, labels) and "
            "print per-tag precision, recall, F1 and support, the macro-F1, the precision of "
            "tags at confidence thresholds 0.5..0.9, and the misclassified items with the "
            "evidence sentence and trigger words the classifier used."
        ),
    )
    parser.add_argument("--labeled", type=Path, required=True, help="labeled JSON-lines file")
    parser.add_argument("--taxonomy", type=Path, help="taxonomy YAML (default: the packaged one)")
    parser.add_argument("--show-errors", type=int, default=20, metavar="N", help="misclassified items to list (default 20)")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of tables")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from watchfloor.services.cli.classify import build_classifier

    if not args.labeled.is_file():
        print(f"watchfloor eval: labeled file not found: {args.labeled}", file=sys.stderr)
        return 2
    try:
        # the shipped classifier: actors take part in tagging (domestic visits)
        classifier = build_classifier(args.taxonomy)
        items = read_labeled(args.labeled)
    except (TaxonomyError, ValueError) as exc:
        print(f"watchfloor eval: {exc}", file=sys.stderr)
        return 2
    report = evaluate(classifier, items)
    if args.json:
        data = report.to_dict()
        data["mistakes"] = data["mistakes"][: max(args.show_errors, 0)]
        print(json.dumps(data, indent=2))
    else:
        print(format_report(report, args.show_errors))
    return 0


def format_report(report: EvalReport, show_errors: int) -> str:
    lines = [f"{report.items} items, classifier {report.classifier_version}", ""]
    lines.append(f"{'tag':<24}{'precision':>10}{'recall':>8}{'F1':>8}{'support':>9}{'fp':>5}{'fn':>5}")
    for tag, s in sorted(report.scores.items()):
        lines.append(
            f"{tag:<24}{s.precision:>10.3f}{s.recall:>8.3f}{s.f1:>8.3f}{s.support:>9}"
            f"{s.false_positives:>5}{s.false_negatives:>5}"
        )
    lines.append(f"{'macro-F1':<24}{'':>18}{report.macro_f1:>8.3f}")
    lines += ["", "precision at confidence (all tags)", f"{'>=':>6}{'tags':>7}{'correct':>9}{'precision':>11}{'recall':>8}"]
    for threshold, (n, ok, positives) in sorted(report.at_confidence.items()):
        precision = f"{ok / n:.3f}" if n else "-"
        recall = f"{ok / positives:.3f}" if positives else "-"
        lines.append(f"{threshold:>6.1f}{n:>7}{ok:>9}{precision:>11}{recall:>8}")
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
