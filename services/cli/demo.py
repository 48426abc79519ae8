"""``watchfloor demo``: the whole pipeline on the sample articles, end to end."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from pathlib import Path
from typing import Any

import httpx
from watchfloor.services.cli.common import (
    API_WORKER,
    check_ports,
    embedded_redis_if_needed,
    parts_builder,
    settings_from_args,
)
from watchfloor.services.cli.console import CONSOLE_HINT, open_console
from watchfloor.services.cli.receiver import print_request
from watchfloor.services.receiver import WebhookReceiver
from watchfloor.shared import pipeline
from watchfloor.shared.logging import configure_logging
from watchfloor.shared.redis_client import redis_client
from watchfloor.shared.settings import Settings
from watchfloor.shared.streams.status import scheduled_retries
from watchfloor.shared.text_files import read_utf8

DEMO_PREFIX = "watchfloor-demo"
REPO_SAMPLES = Path(__file__).resolve().parents[2] / "samples"
MUST_SHOW = ("sample-dprk-russia", {"missile_test", "troop_deployment", "treaty_reaffirmation"},
             {"KP", "RU"})


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "demo",
        help="run the whole pipeline on the sample articles and show the alerts",
        description=(
            "Start an embedded Redis (unless WATCHFLOOR_REDIS_URL is set), the three "
            "workers and a local webhook receiver; post the sample articles to the "
            "ingest API; print every alert the receiver got, then a summary. Keys live "
            f"under the prefix '{DEMO_PREFIX}', cleared at start."
        ),
    )
    parser.add_argument("--redis-url", help="use this Redis instead of an embedded one")
    parser.add_argument("--samples", type=Path, default=REPO_SAMPLES,
                        help="folder with articles.jsonl and watchlists.yaml (default: samples/)")
    parser.add_argument("--timeout", type=float, default=45.0, help="seconds to wait for alerts")
    parser.add_argument("--keep-running", action="store_true",
                        help="then keep the pipeline and the console up until Ctrl-C, printing "
                             "the console's URL and a sign-in token (what `make console` runs)")
    parser.add_argument("--port", type=int, default=None,
                        help="with --keep-running: the HTTP port of the API and console "
                             "(default: WATCHFLOOR_HTTP_PORT, else 8080)")
    parser.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    articles_file, watchlists_file = args.samples / "articles.jsonl", args.samples / "watchlists.yaml"
    for path in (articles_file, watchlists_file):
        if not path.is_file():
            print(f"watchfloor demo: error: {path} not found (use --samples DIR)", file=sys.stderr)
            return 2
    try:
        articles = _sample_articles(articles_file)
    except ValueError as exc:
        print(f"watchfloor demo: error: {exc}", file=sys.stderr)
        return 2
    # kept running: a port people can bookmark; else any free one
    port = {} if args.keep_running and args.port is None else {
        "http_port": args.port if args.keep_running else 0}
    settings = settings_from_args(
        args, key_prefix=DEMO_PREFIX, watchlists_file=watchlists_file,
        log_level="WARNING", log_format="console", batch_size=50,
        retry_schedule_s=[0.5, 1, 2],
        # the local receiver is on loopback: open it (and only it) to deliveries
        target_allowlist=f"{WebhookReceiver.host}/32", **port,
    )
    configure_logging(settings.log_level, settings.log_format)
    if args.keep_running:
        check_ports(settings, [API_WORKER])  # one line and exit 2, before anything starts
    started = time.monotonic()
    with embedded_redis_if_needed(settings, "demo") as settings, WebhookReceiver() as receiver:
        return asyncio.run(_demo(settings, receiver, articles, args.timeout, started,
                                 keep_running=args.keep_running))


def _sample_articles(path: Path) -> list[dict[str, Any]]:
    """The JSON object of each line (ValueError naming the file and line)."""
    lines = read_utf8(path).splitlines()
    articles = []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            article = json.loads(line)
        except json.JSONDecodeError as exc:
            raise ValueError(f"{path}:{number}: not JSON ({exc.msg})") from None
        if not isinstance(article, dict):
            raise ValueError(f"{path}:{number}: not a JSON object")
        articles.append(article)
    return articles


async def _clear_prefix(settings: Settings) -> None:
    client = redis_client(settings)
    async for key in client.scan_iter(match=f"{DEMO_PREFIX}:*", count=1000):
        await client.delete(key)
    await client.aclose()


async def _demo(settings: Settings, receiver: WebhookReceiver, articles: list[dict[str, Any]],
                timeout: float, started: float, *, keep_running: bool = False) -> int:
    from watchfloor.services.watchlists.configured import load_configured_watchlists
    from watchfloor.shared.streams.worker import create_worker_app

    await _clear_prefix(settings)
    env = {"WATCHFLOOR_DEMO_RECEIVER": receiver.url("")}
    watchlists = load_configured_watchlists(settings, env)
    receiver.secrets = {
        httpx.URL(t.url).path: t.secret.get_secret_value()
        for w in watchlists for t in w.targets if t.type == "webhook"
    }
    app = create_worker_app(settings, [parts_builder(n) for n in pipeline.worker_names()], env=env)
    task = asyncio.create_task(app.run())
    try:
        while "ingest_url" not in app.runtime.info:
            if task.done():
                task.result()
                return 1
            await asyncio.sleep(0.05)
        print(f"Posting {len(articles)} sample articles to {app.runtime.info['ingest_url']}/v1/articles")
        async with httpx.AsyncClient(base_url=app.runtime.info["ingest_url"], timeout=30) as http:
            reply = (await http.post("/v1/articles", json=articles)).json()
        print(f"  ingest: {reply['new']} new, {reply['duplicate']} duplicate\n")
        await _wait_until_settled(app, reply["new"], timeout)
        if keep_running:
            code = _report(receiver, articles, reply, time.monotonic() - started, app)
            await open_console(app.runtime)
            await task  # until Ctrl-C
            return code
    finally:
        app.stop_now()  # exit() would be taken for a lost group while a subscriber is down
        await asyncio.wait_for(task, 30)
    code = _report(receiver, articles, reply, time.monotonic() - started, app)
    print(CONSOLE_HINT)
    return code


async def _wait_until_settled(app: Any, new: int, timeout: float) -> None:
    """Until every article is classified and nothing is left to deliver."""
    redis, keys = app.runtime.redis, app.runtime.keys
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        classified = int(await redis.hget(keys.metrics, "classified") or 0)
        busy = await scheduled_retries(redis, keys)
        for stream, group in pipeline.consumed(keys):
            info = {g["name"].decode(): g for g in await redis.xinfo_groups(stream)}
            group_info = info.get(group)
            if group_info is None or int(group_info["pending"]):
                busy += 1
            else:
                busy += len(await redis.xrange(stream, min=f"({group_info['last-delivered-id'].decode()}", count=1))
        if classified >= new and not busy:
            return
        await asyncio.sleep(0.1)
    print(f"warning: pipeline not settled after {timeout:.0f}s", file=sys.stderr)


def _report(receiver: WebhookReceiver, articles: list[dict[str, Any]], reply: dict[str, Any],
            elapsed: float, app: Any) -> int:
    got = receiver.delivered()
    source_ids = {a.get("url"): a.get("id") for a in articles}
    shown = None
    for request in sorted(got, key=lambda r: (r.json()["data"]["watchlist"]["id"], r.received_at)):
        data = request.json()["data"]
        article = data["article"]
        print_request(request)
        if source_ids.get(article["url"]) == MUST_SHOW[0]:
            shown = data
    verified = sum(1 for r in got if r.verified)
    watchlists = len({r.json()["data"]["watchlist"]["id"] for r in got})
    ok = bool(got) and verified == len(got)
    check = _must_show_check(shown)
    print(check)
    print(f"demo: {len(articles)} articles posted ({reply['new']} new, {reply['duplicate']} duplicate) "
          f"-> {len(got)} alerts delivered to {watchlists} watchlists, "
          f"{verified}/{len(got)} signatures verified, in {elapsed:.1f}s")
    return 0 if ok and check.startswith("check: ok") else 1


def _must_show_check(data: dict[str, Any] | None) -> str:
    sample, tags, actors = MUST_SHOW
    if data is None:
        return f"check: FAILED - no alert for {sample}"
    got_tags = {t["tag"] for t in data["tags"]}
    got_actors = {a["id"] for a in data["actors"]}
    troops = [f for f in data["figures"] if f["kind"] == "troops"]
    missing = sorted(tags - got_tags) + sorted(actors - got_actors) + ([] if troops else ["troop figure"])
    if missing:
        return f"check: FAILED - {sample} is missing {', '.join(missing)}"
    return (f"check: ok - {sample} tagged {', '.join(sorted(got_tags))}; actors include "
            f"{', '.join(sorted(actors))}; troops {troops[0]['value']:,.0f}")
