"""``watchfloor up``: the whole pipeline in one process."""

from __future__ import annotations

import argparse

from watchfloor.services.cli.common import (
    add_settings_flags,
    check_ports,
    embedded_redis_if_needed,
    run_workers,
    settings_from_args,
)
from watchfloor.shared.logging import configure_logging
from watchfloor.shared.pipeline import worker_names


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "up",
        help=f"run {', '.join(worker_names()[:-1])} and {worker_names()[-1]} in one process",
        description=(
            "Run all three workers in one process on this machine. Without "
            "WATCHFLOOR_REDIS_URL an embedded Redis is started, with its data in "
            "WATCHFLOOR_DATA_DIR (default .watchfloor/), and its URL is written to "
            "redis.url there while it runs: the other commands run from the same "
            "folder (status, alerts, ingest, replay, deliveries, worker) use it."
        ),
    )
    add_settings_flags(parser)
    parser.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    settings = settings_from_args(args)
    # before the embedded Redis logs its start: every line in LOG_FORMAT, at LOG_LEVEL
    configure_logging(settings.log_level, settings.log_format)
    check_ports(settings, worker_names())  # a busy port: one line, before Redis starts
    with embedded_redis_if_needed(settings, "up") as settings:
        return run_workers(settings, worker_names())
