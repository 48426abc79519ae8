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
    async def replay(redis, keys) -> tuple[int, int, str]:  # type: ignore[no-untyped-def]
        # what was there at the start, not after: a replayed entry that
        # failed again at once is no entry left behind
        if args.deliveries:
            from watchfloor.services.notifier.replay import replay_failed_deliveries

            before = await redis.xlen(keys.failed_deliveries)
            count = await replay_failed_deliveries(redis, keys, limit=args.limit)
            return count, before - count, "`watchfloor deliveries --failed` lists them"
        before = await redis.xlen(keys.dead_letters)
        count = await replay_dead_letters(redis, keys, limit=args.limit)
        return count, before - count, f"`redis-cli XRANGE {keys.dead_letters} - +` lists them"

    count, left, listed_by = run_on_redis(settings_from_args(args), replay)
    what = "failed deliveries" if args.deliveries else "dead letter(s)"
    rest = (f"; {left} of those there at the start not replayed (beyond --limit, "
            f"unreadable, for a stream of another partition count, or replayed by another "
            f"run at once; {listed_by})") if left > 0 else ""
    print(f"replayed {count} {what}{rest}")
    return 0
