"""A snapshot of the pipeline's streams, groups, retries and dead letters."""

from __future__ import annotations

from typing import Any

from redis.asyncio import Redis
from redis.exceptions import ResponseError
from watchfloor.shared import pipeline
from watchfloor.shared.keys import Keys, short_name
from watchfloor.shared.streams.workers import redis_now, workers_seen

LAG_COUNT_LIMIT = 100_000


def _text(value: Any) -> Any:
    return value.decode() if isinstance(value, bytes) else value


def _entry_id(value: Any) -> tuple[int, int]:
    ms, _, seq = _text(value).partition("-")
    return int(ms), int(seq or 0)


async def group_lag(redis: Any, stream: str, group: dict[str, Any]) -> int | None:
    """Entries of ``stream`` the group (an XINFO GROUPS entry) has not read."""
    last = _text(group["last-delivered-id"])
    lag = group.get("lag")
    if lag is None:
        # Redis < 7 has no lag field: count entries after last-delivered-id.
        entries = await redis.xrange(stream, min=f"({last}", count=LAG_COUNT_LIMIT)
        return len(entries)
    if int(lag) == 0:
        return 0
    # Redis 7.0 restarted from its AOF forgets a group's read count and
    # reports a lag that never comes down (fixed in 7.2, redis#12898): a
    # group that has read up to the newest entry has none left.
    newest = await redis.xrevrange(stream, count=1)
    if not newest or _entry_id(newest[0][0]) <= _entry_id(last):
        return 0
    return int(lag)


async def scheduled_retries(redis: Redis, keys: Keys) -> int:
    """Deliveries waiting for a retry, in all partitions."""
    return sum([int(await redis.zcard(schedule)) for schedule in keys.retry_schedules()])


async def pipeline_status(redis: Redis, keys: Keys) -> dict[str, Any]:
    streams: dict[str, Any] = {}
    consumed = dict(pipeline.consumed(keys))
    for stream in pipeline.streams(keys):
        info: dict[str, Any] = {"length": await redis.xlen(stream), "groups": []}
        if stream in consumed:
            try:
                groups = await redis.xinfo_groups(stream)
            except ResponseError:
                groups = []
            for group in groups:
                name = _text(group["name"])
                consumers = await redis.xinfo_consumers(stream, name)
                info["groups"].append({
                    "name": name,
                    "lag": await group_lag(redis, stream, group),
                    "pending": int(group["pending"]),
                    "consumers": [
                        {"name": _text(c["name"]), "pending": int(c["pending"]),
                         "idle_ms": int(c["idle"])}
                        for c in consumers
                    ],
                })
        streams[stream] = info
    metrics = {_text(k): int(v) for k, v in (await redis.hgetall(keys.metrics)).items()}
    now = await redis_now(redis)
    workers = [w.as_status(now) for w in await workers_seen(redis, keys, now=now)]
    return {
        "prefix": keys.prefix,
        "workers": workers,
        "streams": streams,
        "dead_letters": await redis.xlen(keys.dead_letters),
        "retries_scheduled": await scheduled_retries(redis, keys),
        "failed_deliveries": await redis.xlen(keys.failed_deliveries),
        "delivered": await redis.xlen(keys.delivered_log),
        "targets_paused": await redis.hlen(keys.targets_paused),
        "metrics": metrics,
    }


def format_status(status: dict[str, Any]) -> str:
    lines = [f"prefix: {status['prefix']}", ""]
    partitions = status.get("partitions") or {}
    if partitions.get("recorded") not in (None, partitions.get("configured")):
        left = partitions.get("work_left_in_recorded") or {}
        held = ", ".join(f"{s} ({n})" for s, n in left.items())
        lines[1:1] = [
            f"warning: WATCHFLOOR_PARTITIONS is {partitions['configured']}, the streams were "
            f"made for {partitions['recorded']}"
            + (f"; they still hold work: {held} (workers refuse to start until it is "
               f"handled with WATCHFLOOR_PARTITIONS={partitions['recorded']})" if left
               else "; they are drained: the next worker to start takes the new count")]
    lines += _worker_lines(status.get("workers", [])) + [""]
    lines.append(f"{'stream':<34} {'length':>8}  {'group':<12} {'lag':>7} {'pending':>8}  consumers")
    for stream, info in status["streams"].items():
        short = short_name(stream, status["prefix"])
        if not info["groups"]:
            lines.append(f"{short:<34} {info['length']:>8}  {'-':<12} {'-':>7} {'-':>8}  -")
        for group in info["groups"]:
            consumers = ", ".join(
                f"{c['name']}(pending={c['pending']}, idle={c['idle_ms'] // 1000}s)"
                for c in group["consumers"]
            ) or "none"
            lines.append(
                f"{short:<34} {info['length']:>8}  {group['name']:<12} "
                f"{group['lag'] if group['lag'] is not None else '?':>7} {group['pending']:>8}  {consumers}"
            )
    lines += [
        "",
        f"dead letters:        {status['dead_letters']}",
        f"retries scheduled:   {status['retries_scheduled']}",
        f"failed deliveries:   {status['failed_deliveries']}",
        f"delivered (history): {status['delivered']}",
    ]
    for feed in status.get("feeds", []):
        lines.append(
            f"feed {feed.get('name') or feed.get('url')}: {feed.get('last_status') or 'not polled yet'}"
            + (f", {feed['consecutive_failures']} failure(s): {feed.get('last_error')}"
               if int(feed.get("consecutive_failures") or 0) else "")
        )
    for paused in status.get("paused_targets", []):
        lines.append(
            f"PAUSED target {paused['watchlist_id']} {paused['target']}: since "
            f"{paused['paused_at']}, last {paused['last_reason'] or '?'}, "
            f"{paused['held_deliveries']} deliveries held "
            f"(`watchfloor targets resume {paused['watchlist_id']} {paused['target']}`)"
        )
    if status["metrics"]:
        lines.append("counters:            " + ", ".join(
            f"{k}={v}" for k, v in sorted(status["metrics"].items())))
    return "\n".join(lines)


def _ago(seconds: int) -> str:
    return f"{seconds} s" if seconds < 120 else f"{seconds // 60} min" if seconds < 7200 \
        else f"{seconds // 3600} h"


def _worker_lines(workers: list[dict[str, Any]]) -> list[str]:
    """Who is running: consumer groups list a consumer only once it has read
    an entry, and forget it after a quiet minute."""
    if not workers:
        return ["workers: none running (none has recorded itself in the last day)"]
    lines = ["workers:"]
    for w in workers:
        what = f"  {w['name']}: {', '.join(w['parts'])} (pid {w['pid']} on {w['host']}, {w['version']})"
        if w["silent"]:
            lines.append(f"{what}: SILENT, last seen {_ago(w['seen_s_ago'])} ago "
                         f"(stopped without a word, or cannot reach Redis)")
        else:
            lines.append(f"{what}: running, seen {_ago(w['seen_s_ago'])} ago")
    return lines
