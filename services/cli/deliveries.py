"""``watchfloor deliveries [--failed]``: recent webhook deliveries, newest first.

``--failed`` lists the deliveries given up (``<prefix>:deliveries:failed``,
written by the notifier: a permanent failure, or a retry schedule run out),
each with its reason; without it, the recent successful ones
(``<prefix>:deliveries:done``). A target is shown by its name in the
watchlist (``webhook-1``, or the name it was given), never by its URL:
URLs can carry credentials (a Slack URL is itself the secret).
"""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

from watchfloor.services.cli.common import (
    add_settings_flags,
    positive_int,
    run_on_redis,
    settings_from_args,
)


@dataclass(frozen=True)
class DeliveryRecord:
    """One entry of the failed (or done) deliveries stream, for people."""

    delivery_id: str
    watchlist: str
    target: str
    alert_id: str
    article_id: str
    title: str | None
    attempts: int | None
    reason: str
    at: datetime | None

    def as_json(self) -> str:
        data = asdict(self)
        data["at"] = self.at.isoformat().replace("+00:00", "Z") if self.at else None
        return json.dumps(data, ensure_ascii=False)

    def format(self) -> str:
        when = f"{self.at:%Y-%m-%d %H:%M:%S}Z" if self.at else "(time unknown)"
        tries = f" after {self.attempts} attempt{'s' if self.attempts != 1 else ''}" \
            if self.attempts else ""
        title = f' "{self.title}"' if self.title else ""
        return (f"{when} [{self.watchlist}] {self.target}: {self.reason}{tries}\n"
                f"    alert {self.alert_id}, article {self.article_id}{title}\n"
                f"    delivery {self.delivery_id}")


def parse_entry(fields: dict[bytes, bytes]) -> DeliveryRecord:
    """An entry as the notifier writes it (``delivery_state.py``), read
    leniently: older entries name the target by index, some fields may lack."""
    text = {k.decode(errors="replace"): v.decode(errors="replace") for k, v in fields.items()}
    payload = _payload(text.get("payload"))
    alert = payload.get("alert") if isinstance(payload.get("alert"), dict) else {}
    article = alert.get("article") if isinstance(alert.get("article"), dict) else {}
    target = text.get("target") or payload.get("target_name")
    if not target:
        index = text.get("target_index", payload.get("target_index"))
        target = f"target #{index}" if index is not None else "target ?"
    attempts = text.get("attempts") or text.get("attempt") or payload.get("attempt")
    return DeliveryRecord(
        delivery_id=text.get("delivery_id") or str(payload.get("id", "?")),
        watchlist=text.get("watchlist_id") or str(alert.get("watchlist_id", "?")),
        target=str(target),
        alert_id=text.get("alert_id") or str(alert.get("id", "?")),
        article_id=text.get("article_id") or str(article.get("id", "?")),
        title=text.get("title") or (
            article.get("title") if isinstance(article.get("title"), str) else None),
        attempts=int(attempts) if str(attempts or "").isdigit() else None,
        reason=text.get("reason") or text.get("status") or "?",
        at=_time(text.get("failed_at") or text.get("delivered_at")),
    )


def _payload(raw: str | None) -> dict[str, Any]:
    try:
        value = json.loads(raw) if raw else {}
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _time(raw: str | None) -> datetime | None:
    try:
        return datetime.fromtimestamp(float(raw), UTC) if raw else None
    except (ValueError, OverflowError, OSError):
        return None


async def recent_deliveries(redis: Any, keys: Any, *, failed: bool,
                            limit: int) -> tuple[list[DeliveryRecord], int]:
    """The newest ``limit`` records, newest first, and how many there are in all."""
    stream = keys.failed_deliveries if failed else keys.delivered_log
    async with redis.pipeline(transaction=False) as pipe:
        pipe.xrevrange(stream, count=limit)
        pipe.xlen(stream)
        entries, total = await pipe.execute()
    return [parse_entry(fields) for _, fields in entries], int(total)


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "deliveries",
        help="list recent webhook deliveries; --failed: the failed ones with their reasons",
        description=(
            "List webhook deliveries, newest first: when, the watchlist, the target "
            "(by its name in the watchlist, never its URL), the reason (e.g. "
            "'permanent: http_410', 'exhausted: timeout'), attempts, the alert and "
            "the article. --failed lists the deliveries given up; re-send them with "
            "`watchfloor replay --deliveries` once the receiving end is fixed."
        ),
    )
    parser.add_argument("--failed", action="store_true",
                        help="the failed deliveries (default: the recent successful ones)")
    parser.add_argument("--limit", type=positive_int, default=20, help="how many (default 20)")
    parser.add_argument("--json", action="store_true", help="one JSON object per line")
    add_settings_flags(parser)
    parser.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    async def work(redis: Any, keys: Any) -> tuple[list[DeliveryRecord], int]:
        return await recent_deliveries(redis, keys, failed=args.failed, limit=args.limit)

    records, total = run_on_redis(settings_from_args(args), work)
    what = "failed deliveries" if args.failed else "deliveries"
    for record in records:
        print(record.as_json() if args.json else record.format())
    if args.json:
        return 0
    if not records:
        print(f"no {what}")
    elif total > len(records):
        print(f"({len(records)} newest of {total} {what}; --limit N for more)")
    if records and args.failed:
        print("re-send them with `watchfloor replay --deliveries` once the receiver is fixed")
    return 0
