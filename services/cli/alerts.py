"""``watchfloor alerts``: the most recent alerts raised, newest first."""

from __future__ import annotations

import argparse
from typing import Any

from watchfloor.services.cli.common import (
    add_settings_flags,
    positive_int,
    run_on_redis,
    settings_from_args,
)
from watchfloor.shared.pipeline import stage
from watchfloor.shared.schemas import Alert
from watchfloor.shared.streams.codec import decode


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "alerts",
        help="list the most recent alerts (newest first)",
        description=(
            "List recent alerts from the alert history: when, which watchlist, "
            "the tags with confidence and modality, the article title and the "
            "evidence sentence."
        ),
    )
    add_settings_flags(parser)
    parser.add_argument("--watchlist", help="only this watchlist id")
    parser.add_argument("--limit", type=positive_int, default=20, help="how many (default 20)")
    parser.add_argument("--json", action="store_true", help="one JSON alert per line")
    parser.set_defaults(func=_run)


async def recent_alerts(redis: Any, keys: Any, *, watchlist: str | None, limit: int) -> list[Alert]:
    history = stage("match").records(keys)
    found: list[Alert] = []
    last = "+"
    while len(found) < limit:
        page = await redis.xrevrange(history, max=last, count=500)
        if not page:
            break
        for _, fields in page:
            alert = decode(fields, Alert)
            if isinstance(alert, Alert) and (watchlist is None or alert.watchlist_id == watchlist):
                found.append(alert)
                if len(found) == limit:
                    break
        last = f"({page[-1][0].decode()}"
    return found


def format_alert(alert: Alert) -> str:
    tags = ", ".join(f"{t.tag} {t.confidence:.2f} {t.modality}" for t in alert.tags)
    evidence = alert.tags[0].evidence if alert.tags else ""
    return (f"{alert.created_at:%Y-%m-%d %H:%M:%S}Z [{alert.watchlist_id}] {alert.article.title}\n"
            f"    {tags}\n    \"{evidence}\"")


def _run(args: argparse.Namespace) -> int:
    async def work(redis: Any, keys: Any) -> list[Alert]:
        return await recent_alerts(redis, keys, watchlist=args.watchlist, limit=args.limit)

    alerts = run_on_redis(settings_from_args(args), work)
    for alert in alerts:
        print(alert.model_dump_json() if args.json else format_alert(alert))
    if not alerts and not args.json:
        print("no alerts yet")
    return 0
