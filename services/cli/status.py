"""``watchfloor status``: streams, groups, lag, pending, consumers, dead letters."""

from __future__ import annotations

import argparse
import json

from watchfloor.services.cli.common import add_settings_flags, run_on_redis, settings_from_args
from watchfloor.services.ingest.feed_poller import feed_states
from watchfloor.services.notifier.target_pauses import paused_targets
from watchfloor.shared.streams.partition_layout import partitions_state
from watchfloor.shared.streams.status import format_status, pipeline_status


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "status",
        help="show stream lengths, per-group lag/pending/consumers and dead letters",
        description=(
            "Print, per stream, its length and for each consumer group the lag "
            "(entries not yet read), pending (read, not acknowledged) and consumers; "
            "then dead letters, scheduled retries, failed deliveries, paused targets and counters."
        ),
    )
    add_settings_flags(parser)
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    async def collect(redis, keys) -> dict:  # type: ignore[no-untyped-def]
        status = await pipeline_status(redis, keys)
        status["feeds"] = await feed_states(redis, keys)
        status["paused_targets"] = [p.as_dict() for p in await paused_targets(redis, keys)]
        status["partitions"] = await partitions_state(redis, keys)
        return status

    status = run_on_redis(settings_from_args(args), collect)
    print(json.dumps(status, indent=2) if args.json else format_status(status))
    return 0
