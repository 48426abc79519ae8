"""``watchfloor labels export``: the tag judgements made in the console, as JSON lines;
``watchfloor labels agreement``: how far two blind labellings of the corpus agree.

Each line is a label record in the corpus form (``id``, ``labels``,
``annotator``, ``guide``, ``date``, ``sample: "console"``, plus ``note`` and
``classifier_tags``), for review before any of it joins
``services/training/labels``; nothing is written there by this command.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from watchfloor.services.cli.common import add_settings_flags, run_on_redis, settings_from_args
from watchfloor.services.cli.paths import input_problem, output_problem
from watchfloor.services.console.labels import LabelStore


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "labels",
        help="export the tag judgements made in the console (JSON lines)",
        description="Judgements officers made in the console, one label record per line.",
    )
    actions = parser.add_subparsers(dest="action", metavar="{export,agreement}")
    export = actions.add_parser("export", help="print (or write) every judgement as JSON lines")
    export.add_argument("--output", "-o", type=Path, help="write to this file instead of stdout")
    add_settings_flags(export)
    export.set_defaults(func=_export)
    agree = actions.add_parser(
        "agreement", help="Cohen's kappa per tag between two blind labellings of the corpus",
        description="Per tag: items both labelled, positives each gave, and Cohen's kappa. "
                    "With --disagreements, the ids the two label differently that no third "
                    "label has settled (the next round for a third annotator).")
    agree.add_argument("--first", type=Path, default=None,
                       help="first labels (default: services/training/labels/corpus.jsonl)")
    agree.add_argument("--second", type=Path, default=None,
                       help="second labels (default: services/training/labels/second_pass.jsonl)")
    agree.add_argument("--disagreements", action="store_true",
                       help="print the unsettled ids, one a line, instead of the table")
    agree.set_defaults(func=_agreement)
    parser.set_defaults(func=lambda args: parser.print_help() or 2)


def _export(args: argparse.Namespace) -> int:
    async def work(redis: Any, keys: Any) -> str:
        return await LabelStore(redis, keys).export()

    problem = output_problem(args.output) if args.output else None
    if problem:
        print(f"watchfloor labels export: {problem}", file=sys.stderr)
        return 2
    text = run_on_redis(settings_from_args(args), work)
    if args.output:
        args.output.write_text(text, encoding="utf-8")
        print(f"{text.count(chr(10))} label records written to {args.output}", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return 0


def _agreement(args: argparse.Namespace) -> int:
    from watchfloor.services.classifier.taxonomy import known_tag_ids
    from watchfloor.services.training import corpus
    from watchfloor.services.training.agreement import disagreements, tag_agreement

    first_file = args.first or corpus.CORPUS_FILE
    second_file = args.second or corpus.SECOND_PASS_FILE
    # latest_records reads a missing file as no labels yet: here it is a mistyped path
    problem = input_problem(first_file, "labels file") or input_problem(second_file, "labels file")
    if problem:
        print(f"watchfloor labels agreement: {problem}", file=sys.stderr)
        return 2
    try:
        first = corpus.latest_records(first_file)
        second = corpus.latest_records(second_file)
        third = corpus.latest_records(corpus.THIRD_PASS_FILE)
    except corpus.CorpusError as exc:
        print(f"watchfloor labels agreement: {exc}", file=sys.stderr)
        return 2
    first_labels = {i: record.labels for i, record in first.items()}
    second_labels = {i: record.labels for i, record in second.items()}
    if not first_labels.keys() & second_labels.keys():
        print("watchfloor labels agreement: the two files share no item id", file=sys.stderr)
        return 2
    if args.disagreements:
        for item_id in disagreements(first_labels, second_labels, third):
            print(item_id)
        return 0
    rows = tag_agreement(first_labels, second_labels, sorted(known_tag_ids()))
    differ = len(disagreements(first_labels, second_labels))
    print(f"{rows[0].items:,} items labelled by both; {differ:,} differ in at least one tag")
    print(f"{'tag':<22} {'both':>6} {'1st only':>9} {'2nd only':>9} {'kappa':>6}")
    for row in rows:
        print(f"{row.tag:<22} {row.both:>6} {row.first_only:>9} {row.second_only:>9} "
              f"{row.kappa:>6.2f}")
    return 0
