"""``watchfloor labels export``: the tag judgements made in the console, as JSON lines.

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
from watchfloor.services.console.labels import LabelStore


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "labels",
        help="export the tag judgements made in the console (JSON lines)",
        description="Judgements officers made in the console, one label record per line.",
    )
    actions = parser.add_subparsers(dest="action", metavar="export")
    export = actions.add_parser("export", help="print (or write) every judgement as JSON lines")
    export.add_argument("--output", "-o", type=Path, help="write to this file instead of stdout")
    add_settings_flags(export)
    export.set_defaults(func=_export)
    parser.set_defaults(func=lambda args: parser.print_help() or 2)


def _export(args: argparse.Namespace) -> int:
    async def work(redis: Any, keys: Any) -> str:
        return await LabelStore(redis, keys).export()

    text = run_on_redis(settings_from_args(args), work)
    if args.output:
        args.output.write_text(text, encoding="utf-8")
        print(f"{text.count(chr(10))} label records written to {args.output}", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return 0
