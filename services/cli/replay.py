"""``watchfloor replay``: put dead letters back on their stream after a fix."""

from __future__ import annotations

import argparse
import asyncio
import sys

import redis.asyncio as aioredis

from services.cli.common import add_settings_flags, check_redis, settings_from_args
from shared.keys import Keys
from shared.streams.deadletter import replay_dead_letters


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "replay",
        help="re-queue dead letters on the stream they came from",
        description="Move up to --limit dead letters, oldest first, back onto their original stream.",
    )
    add_settings_flags(parser)
    parser.add_argument("--limit", type=int, default=100, help="how many (default 100)")
    parser.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    settings = settings_from_args(args)
    problem = check_redis(settings)
    if problem:
        print(f"error: {problem}", file=sys.stderr)
        return 2

    async def go() -> int:
        client = aioredis.from_url(settings.resolved_redis_url)
        try:
            return await replay_dead_letters(client, Keys(settings.key_prefix), limit=args.limit)
        finally:
            await client.aclose()

    print(f"replayed {asyncio.run(go())} dead letter(s)")
    return 0
