"""One chaos run: a private Redis (appendonly, appendfsync always), the
three workers as processes (the bench's ``Stack``), a receiver in this
process that verifies every Standard Webhooks signature, a steady load, the
faults one after another, then a drain and the count."""

from __future__ import annotations

import contextlib
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from watchfloor.services.bench.inputs import pool_articles, real_pool, sample_articles
from watchfloor.services.bench.pipeline_run import SECRET, Stack
from watchfloor.services.chaos.expected import distinct_by_content, owed_deliveries
from watchfloor.services.chaos.faults import Fault, Targets
from watchfloor.services.chaos.load import Accepted, SteadyLoad
from watchfloor.services.chaos.report import FaultWindow, Received, summary
from watchfloor.services.classifier.factory import build_classifier
from watchfloor.services.classifier.taxonomy import known_tag_ids
from watchfloor.services.ingest.prepare import prepare_article
from watchfloor.services.receiver import WebhookReceiver
from watchfloor.services.watchlists.configured import watchlist_tags
from watchfloor.services.watchlists.model import load_watchlists
from watchfloor.shared.addresses import AddressPolicy, parse_allowlist
from watchfloor.shared.redis_server import LocalRedisServer
from watchfloor.shared.settings import Settings

RECEIVER_PATH = "/hook"
#: After the last owed delivery, how long to keep listening for a duplicate.
QUIET_S = 3.0
#: The longest wait for a restarted worker to be ready.
READY_TIMEOUT_S = 60.0


@dataclass(frozen=True)
class Plan:
    faults: Sequence[Fault]
    rate: float = 20.0  # articles a second
    warmup_s: float = 5.0
    settle_s: float = 10.0  # after each fault
    drain_timeout_s: float = 120.0
    retry_schedule_s: str = "1,2,4,8,8,8,8,8,8,8,8,8,8,8,8,8,8,8,8,8"
    reclaim_idle_ms: int = 5000

    def worker_env(self) -> dict[str, str]:
        """Chaos settings for the workers: an alert for every article (no story
        throttle, so what is owed does not depend on arrival order), a retry
        schedule that outlasts the faults within minutes, a prompt reclaim."""
        return {
            "WATCHFLOOR_STORY_ALERT_WINDOW_S": "0",
            "WATCHFLOOR_RETRY_SCHEDULE_S": self.retry_schedule_s,
            "WATCHFLOOR_RECLAIM_IDLE_MS": str(self.reclaim_idle_ms),
            "WATCHFLOOR_MAINTENANCE_INTERVAL_S": "1",
        }

    def articles_needed(self) -> int:
        seconds = self.warmup_s + sum(f.hold_s + self.settle_s + (15 if f.ready else 5)
                                      for f in self.faults)
        return int(self.rate * seconds) + 1


def chaos_articles(count: int, tag: str) -> list[dict[str, Any]]:
    """``count`` articles no two of which ingest takes for one: real news
    from ``../shared/data`` when present (read now, never kept), else the samples."""
    items = real_pool()
    if not items:
        return sample_articles(count, 0, tag)
    return distinct_by_content(pool_articles(items, 0, min(count * 2, len(items)), tag))[:count]


def received_from(receiver: WebhookReceiver) -> list[Received]:
    out = []
    for r in list(receiver.requests):  # appended only: a copy is a snapshot
        headers = {k.lower(): v for k, v in r.headers.items()}
        out.append(Received(headers.get("webhook-id"), r.received_at, r.verified, r.status))
    return out


def run(plan: Plan, settings: Settings) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="watchfloor-chaos-") as tmp, \
            contextlib.ExitStack() as cleanup:
        workdir = Path(tmp)
        prefix = f"chaos-{int(time.time())}"
        articles = chaos_articles(plan.articles_needed(), prefix)
        redis_server = cleanup.enter_context(
            LocalRedisServer(workdir / "redis", persist=True, fsync_always=True))
        receiver = cleanup.enter_context(WebhookReceiver(secrets={RECEIVER_PATH: SECRET}))
        cleanup.callback(receiver.answer)  # let held requests go before the workers stop
        stack = Stack(redis_server.url, prefix, receiver, workdir, sorted(known_tag_ids()),
                      extra_env=plan.worker_env())
        cleanup.callback(stack.stop)
        stack.wait_ready()
        load = SteadyLoad(stack.url, articles, plan.rate).start()
        cleanup.callback(load.stop)
        started = time.time()
        time.sleep(plan.warmup_s)
        windows = []
        for fault in plan.faults:
            windows.append(_inject(fault, Targets(stack, redis_server, receiver)))
            time.sleep(plan.settle_s)
        record = load.stop()
        owed = _owed(stack, record.accepted, articles, settings)
        _drain(receiver, owed, plan.drain_timeout_s)
        result = summary(
            articles_in=len(record.accepted), owed=owed, received=received_from(receiver),
            windows=windows, accepted_at={a.article_id: a.accepted_at for a in record.accepted},
            started=started)
        result["load"] = {"rate_per_s": plan.rate, "post_retries": record.retries,
                          "not_accepted": record.given_up,
                          "input_duplicates": len(record.input_duplicates)}
        result["settings"] = {"redis": "appendonly yes, appendfsync always",
                              "retry_schedule_s": plan.retry_schedule_s,
                              "reclaim_idle_ms": plan.reclaim_idle_ms}
        result["seconds"] = round(time.time() - started, 1)
        if not result["passed"]:
            result["worker_logs"] = stack.log_tails(600)
        return result


def _inject(fault: Fault, targets: Targets) -> FaultWindow:
    began = time.time()
    detail = fault.begin(targets)
    time.sleep(fault.hold_s)
    detail |= fault.end(targets)
    ended = time.time()
    if fault.ready is not None:
        deadline = time.monotonic() + READY_TIMEOUT_S
        while not fault.ready(targets) and time.monotonic() < deadline:
            time.sleep(0.05)
        detail["ready_s"] = round(time.time() - ended, 2)
    return FaultWindow(fault.name, began, ended, detail)


def _owed(stack: Stack, accepted: list[Accepted], articles: list[dict[str, Any]],
          settings: Settings) -> dict[str, str]:
    """The deliveries owed for the accepted articles (classified here, offline)."""
    prepared = {a.id: a for a in map(prepare_article, articles)}
    watchlists = load_watchlists(stack.watchlists_file, env={},
                                 known_tags=watchlist_tags(settings),
                                 addresses=AddressPolicy(parse_allowlist("127.0.0.1/32")))
    return owed_deliveries([prepared[a.article_id] for a in accepted], watchlists,
                           build_classifier(settings))


def _drain(receiver: WebhookReceiver, owed: dict[str, str], timeout: float) -> None:
    """Until every owed delivery arrived (or ``timeout``), then ``QUIET_S`` more."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if set(owed) <= {r.webhook_id for r in received_from(receiver) if r.delivered}:
            break
        time.sleep(0.5)
    time.sleep(QUIET_S)
