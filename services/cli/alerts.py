"""``watchfloor alerts``: the most recent alerts raised, newest first."""

from __future__ import annotations

import argparse
import sys
from collections.abc import AsyncIterator
from typing import Any

from watchfloor.services.cli.common import (
    add_settings_flags,
    positive_int,
    run_on_redis,
    settings_from_args,
)
from watchfloor.shared.pipeline import stage
from watchfloor.shared.redis_replies import as_str
from watchfloor.shared.schemas import Alert
from watchfloor.shared.settings import Settings
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


async def alert_history(redis: Any, keys: Any) -> AsyncIterator[Alert]:
    """The alerts kept, newest first, read a page at a time."""
    history = stage("match").records(keys)
    last = "+"
    while page := await redis.xrevrange(history, max=last, count=500):
        for _, fields in page:
            alert = decode(fields, Alert)
            if isinstance(alert, Alert):
                yield alert
        last = f"({as_str(page[-1][0])}"


async def recent_alerts(redis: Any, keys: Any, *, watchlist: str | None, limit: int) -> list[Alert]:
    found: list[Alert] = []
    async for alert in alert_history(redis, keys):
        if watchlist is None or alert.watchlist_id == watchlist:
            found.append(alert)
            if len(found) == limit:
                break
    return found


def format_alert(alert: Alert) -> str:
    tags = ", ".join(f"{t.tag} {t.confidence:.2f} {t.modality}" for t in alert.tags)
    evidence = alert.tags[0].evidence if alert.tags else ""
    return (f"{alert.created_at:%Y-%m-%d %H:%M:%S}Z [{alert.watchlist_id}] {alert.article.title}\n"
            f"    {tags}\n    \"{evidence}\"")


async def known_watchlist_ids(redis: Any, keys: Any, settings: Settings
                              ) -> tuple[set[str], str | None]:
    """The ids of the watchlists configured now: the API's, and those the
    watchlists file names (when this command's settings name one), and why
    that file could not be read, if it could not. The file is read for its
    ids only: this shell may lack the targets' secrets."""
    from watchfloor.services.watchlists.configured import watchlist_tags
    from watchfloor.services.watchlists.store import WatchlistStore
    from watchfloor.shared.yaml_config import YamlSyntaxError, parse_yaml

    ids = {w.id for w in await WatchlistStore(redis, keys,
                                              known_tags=watchlist_tags(settings)).list()}
    problem = None
    if settings.watchlists_file is not None:
        try:
            # parse_yaml: its errors name the line, never quote it (a line may
            # hold a secret)
            _, document = parse_yaml(settings.watchlists_file.read_text(encoding="utf-8"),
                                     str(settings.watchlists_file))
        except (OSError, UnicodeDecodeError, YamlSyntaxError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else exc
            problem = f"the watchlists file {settings.watchlists_file} cannot be read: {reason}"
        else:
            listed = document.get("watchlists") if isinstance(document, dict) else None
            ids |= {str(w["id"]) for w in listed or [] if isinstance(w, dict) and "id" in w}
    return ids, problem


async def watchlists_in_history(redis: Any, keys: Any) -> set[str]:
    """The watchlist ids the alerts kept name (only the ids are kept)."""
    return {alert.watchlist_id async for alert in alert_history(redis, keys)}


def _run(args: argparse.Namespace) -> int:
    settings = settings_from_args(args)

    async def work(redis: Any, keys: Any
                   ) -> tuple[list[Alert], tuple[set[str], str | None, set[str]] | None]:
        found = await recent_alerts(redis, keys, watchlist=args.watchlist, limit=args.limit)
        # a misspelt id finds nothing either: say which ids there are
        if not args.watchlist or found:
            return found, None
        configured, problem = await known_watchlist_ids(redis, keys, settings)
        return found, (configured, problem, await watchlists_in_history(redis, keys))

    alerts, known = run_on_redis(settings, work)
    for alert in alerts:
        print(alert.model_dump_json() if args.json else format_alert(alert))
    if known is not None and args.watchlist not in known[0]:
        configured, problem, in_history = known
        print(f"watchfloor alerts: no watchlist {args.watchlist!r} is configured "
              f"and none of the alerts kept names it (configured: "
              f"{', '.join(sorted(configured)) or 'none'}; in the alerts kept: "
              f"{', '.join(sorted(in_history)) or 'none'})", file=sys.stderr)
        if problem:
            print(f"watchfloor alerts: {problem}", file=sys.stderr)
        return 1
    if not alerts and not args.json:
        print(f"no alerts for watchlist {args.watchlist!r} yet" if args.watchlist
              else "no alerts yet")
    return 0
