"""``watchfloor targets``: paused targets, and resuming one.

A target that has failed every attempt for ``WATCHFLOOR_TARGET_PAUSE_AFTER_S``
(a day by default) is paused by the notifier: its deliveries are held, not
dropped (``services/notifier/target_pauses.py``). ``targets paused`` lists
them with how many deliveries each holds; ``targets resume WATCHLIST TARGET``
sends what it holds again, once the receiving end is fixed.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from watchfloor.services.cli.common import add_settings_flags, run_on_redis, settings_from_args
from watchfloor.services.notifier.target_pauses import PausedTarget, paused_targets, resume_target


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "targets",
        help="list paused targets (failed every attempt for a day); resume one",
        description=(
            "A target that has failed every attempt for WATCHFLOOR_TARGET_PAUSE_AFTER_S "
            "(default a day) is paused: its alerts wait, they are not dropped. "
            "`targets paused` lists the paused targets; `targets resume WATCHLIST TARGET` "
            "sends the deliveries it held again."
        ),
    )
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    listing = actions.add_parser("paused", help="list the paused targets",
                                 description="List the paused targets, with why and what they hold.")
    listing.add_argument("--json", action="store_true", help="one JSON object per line")
    add_settings_flags(listing)
    listing.set_defaults(func=_list)
    resume = actions.add_parser(
        "resume", help="resume a paused target: its held deliveries go out again",
        description="Resume a paused target: the deliveries it held go back to the "
                    "deliveries stream and its failing run starts afresh.",
    )
    resume.add_argument("watchlist", help="the watchlist id")
    resume.add_argument("target", help="the target's name in the watchlist (see `targets paused`)")
    add_settings_flags(resume)
    resume.set_defaults(func=_resume)


def describe(paused: PausedTarget) -> str:
    info = paused.as_dict()
    return (f"{paused.watchlist_id} {paused.target}: paused since {info['paused_at']} "
            f"(failing since {info['failing_since']}, last: {paused.pause.reason or '?'}), "
            f"{paused.held} deliveries held")


def _list(args: argparse.Namespace) -> int:
    found = run_on_redis(settings_from_args(args), paused_targets)
    for paused in found:
        print(json.dumps(paused.as_dict()) if args.json else describe(paused))
    if not found and not args.json:
        print("no target is paused")
    return 0


def _resume(args: argparse.Namespace) -> int:
    async def work(redis: Any, keys: Any) -> int:
        return await resume_target(redis, keys, args.watchlist, args.target)

    moved = run_on_redis(settings_from_args(args), work)
    print(f"resumed {args.watchlist} {args.target}: {moved} held deliveries sent again")
    return 0
