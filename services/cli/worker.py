"""``watchfloor worker ingest|classifier|notifier``: one worker process."""

from __future__ import annotations

import argparse

from watchfloor.services.cli.common import (
    add_settings_flags,
    run_workers,
    settings_from_args,
)
from watchfloor.shared.pipeline import worker_names


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "worker",
        help=f"run one worker process ({', '.join(worker_names()[:-1])} or {worker_names()[-1]})",
        description=(
            "Run one worker. Copies of the same worker share its consumer group, so "
            "start more copies to scale. ingest serves POST /v1/articles; classifier "
            "tags articles; notifier matches watchlists and delivers webhooks. "
            "Stops cleanly on SIGTERM (in-flight work finishes)."
        ),
    )
    parser.add_argument("name", choices=sorted(worker_names()), help="which worker to run")
    add_settings_flags(parser)
    parser.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    return run_workers(settings_from_args(args), [args.name])
