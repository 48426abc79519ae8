"""``watchfloor status``: streams, groups, lag, pending, consumers, dead letters."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys

import redis.asyncio as aioredis

from services.cli.common import add_settings_flags, check_redis, settings_from_args
from shared.keys import Keys
from shared.streams.status import format_status, pipeline_status


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "status",
        help="show stream lengths, per-group lag/pending/consumers and dead letters",
        description=(
            "Print, per stream, its length and for each consumer group the lag "
            "(entries not yet read), pending (read, not acknowledged) and consumers; "
            "then dead letters, scheduled retries, failed deliveries and counters."
        ),
    )
    add_settings_flags(parser)
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    settings = settings_from_args(args)
    problem = check_redis(settings)
    if problem:
        print(f"error: {problem}", file=sys.stderr)
        return 2
    async def collect() -> dict:
        client = aioredis.from_url(settings.resolved_redis_url)
        try:
            return await pipeline_status(client, Keys(settings.key_prefix))
        finally:
            await client.aclose()

    status = asyncio.run(collect())
    print(json.dumps(status, indent=2) if args.json else format_status(status))
    return 0
