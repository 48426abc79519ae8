"""``watchfloor replay``: put dead letters back on their stream after a fix."""

from __future__ import annotations

import argparse

from watchfloor.services.cli.common import (
    add_settings_flags,
    positive_int,
    run_on_redis,
    settings_from_args,
)
from watchfloor.shared.streams.deadletter import replay_dead_letters


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "replay",
        help="re-queue dead letters (or failed deliveries) after a fix",
        description=(
            "Move up to --limit dead letters, oldest first, back onto their original "
            "stream. With --deliveries, re-send failed webhook deliveries instead "
            "(after the receiving end or the target was fixed): each goes to its "
            "target as configured now, found by watchlist and target name, so a "
            "corrected URL or a rotated secret or Slack URL is used; one whose "
            "target was deleted fails again as target_removed."
        ),
    )
    parser.add_argument("--deliveries", action="store_true",
                        help="replay failed deliveries instead of dead letters")
    add_settings_flags(parser)
    parser.add_argument("--limit", type=positive_int, default=100, help="how many (default 100)")
    parser.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    async def replay(redis, keys) -> tuple[int, int]:  # type: ignore[no-untyped-def]
        if args.deliveries:
            from watchfloor.services.notifier.replay import replay_failed_deliveries

            count = await replay_failed_deliveries(redis, keys, limit=args.limit)
            return count, await redis.xlen(keys.failed_deliveries)
        count = await replay_dead_letters(redis, keys, limit=args.limit)
        return count, await redis.xlen(keys.dead_letters)

    count, left = run_on_redis(settings_from_args(args), replay)
    what = "failed deliveries" if args.deliveries else "dead letter(s)"
    # what is left: more than --limit, unreadable entries, or another replay's
    rest = f"; {left} still there (run again, or read them with `watchfloor status`)" if left else ""
    print(f"replayed {count} {what}{rest}")
    return 0
