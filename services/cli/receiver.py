"""``watchfloor receiver``: a local webhook endpoint that prints each alert
it gets and checks its signature, for trying the pipeline without an
endpoint of your own (README, "Running it")."""

from __future__ import annotations

import argparse
import os
import time
from typing import Any

import httpx
from watchfloor.services.cli.loaded_settings import load_settings
from watchfloor.services.receiver.server import ReceivedRequest, WebhookReceiver
from watchfloor.shared.listen import check_port_free

RECEIVER_ENV = "WATCHFLOOR_DEMO_RECEIVER"  # the sample watchlists' base URL


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "receiver",
        help="a local webhook endpoint that prints the alerts it gets",
        description=(
            "Listen for webhooks on HOST:PORT and print each alert as it arrives, "
            "with whether its Standard Webhooks signature verifies (the secrets are "
            "those of the webhook targets in WATCHFLOOR_WATCHLISTS_FILE whose URL "
            f"path matches; {RECEIVER_ENV} in the file is this receiver). Until Ctrl-C."
        ),
    )
    parser.add_argument("--host", default="127.0.0.1", help="default 127.0.0.1")
    parser.add_argument("--port", type=int, default=9000, help="default 9000")
    parser.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    check_port_free(args.host, args.port, "--port")
    receiver = WebhookReceiver(host=args.host, port=args.port)
    receiver.secrets = _secrets(f"http://{args.host}:{args.port}")
    with receiver:
        print(f"receiving on {receiver.url('/')} ({len(receiver.secrets)} webhook "
              "secrets to verify with); Ctrl-C stops", flush=True)
        shown = 0
        while True:
            receiver.wait_for(shown + 1, timeout=1.0)
            for request in receiver.requests[shown:]:
                print_request(request, stamped=True)
            shown = len(receiver.requests)


def _secrets(base_url: str) -> dict[str, str]:
    """URL path -> secret of the configured watchlists' webhook targets (read
    for their secrets only: where the targets may post is not judged here)."""
    from watchfloor.services.watchlists.configured import watchlist_actors, watchlist_tags
    from watchfloor.services.watchlists.model import load_watchlists

    settings = load_settings()
    if settings.watchlists_file is None:
        return {}
    env = {**os.environ, RECEIVER_ENV: os.environ.get(RECEIVER_ENV, base_url)}
    watchlists = load_watchlists(settings.watchlists_file, env=env,
                                 known_tags=watchlist_tags(settings),
                                 known_actors=watchlist_actors(settings))
    return {httpx.URL(t.url).path: t.secret.get_secret_value()
            for w in watchlists for t in w.targets if t.type == "webhook"}


def print_request(request: ReceivedRequest, *, stamped: bool = False) -> None:
    """One alert as received: watchlist, headline, tags, actors, figures,
    signature (``stamped``: after the local time it came)."""
    when = time.strftime("%H:%M:%S ", time.localtime(request.received_at)) if stamped else ""
    try:
        lines = _alert_lines(request.json()["data"])
    except (ValueError, KeyError, TypeError, AttributeError, RecursionError):  # any body may come
        lines = [f"{request.path}: {len(request.body)} bytes, not a Watchfloor alert"]
    verdict = {True: "verified", False: "INVALID", None: "not checked (no secret for this path)"}
    lines.append(f"  signature {verdict[request.verified]}, "
                 f"webhook-id {request.headers.get('webhook-id')}")
    print(when + "\n".join(lines) + "\n", flush=True)


def _alert_lines(data: dict[str, Any]) -> list[str]:
    lines = [f"[{data['watchlist']['id']}] {data['article']['title']}"]
    for t in data["tags"]:
        lines.append(f"  {t['tag']:<21} {t['confidence']:.2f} {t['modality']:<9} \"{t['evidence']}\"")
    lines.append("  actors  : " + (", ".join(f"{a['id']} {a['name']}" for a in data["actors"])
                                   or "-"))
    if data["figures"]:
        lines.append("  figures : " + ", ".join(_figure(f) for f in data["figures"]))
    return lines


def _figure(f: dict[str, Any]) -> str:
    ranged = f["low"] is not None and f["high"] is not None and f["low"] != f["high"]
    return f"{f['kind']} {f['value']:,.0f}" + (f" ({f['low']:,.0f}-{f['high']:,.0f})" if ranged else "")
