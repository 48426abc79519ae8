"""SIGTERM ends a notifier within GRACEFUL_TIMEOUT_S, however long the
webhook timeout: an orchestrator kills it after its grace period, sized from
that setting, and a send killed mid-way is neither recorded nor lost."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from watchfloor.services.bench.worker_proc import WorkerProcess, worker_env
from watchfloor.services.notifier.delivery import fan_out
from watchfloor.services.watchlists.model import load_watchlists
from watchfloor.shared.streams.publish import publish

from tests.integration.helpers import sigterm_timed, wait_until
from tests.integration.notifier.test_target_isolation import HangingReceiver
from tests.unit.notifier.factories import make_alert, make_secret

pytestmark = pytest.mark.integration

GRACEFUL_S = 1.0
WEBHOOK_TIMEOUT_S = 30.0


async def test_sigterm_ends_the_notifier_within_the_graceful_timeout_not_the_webhook_one(
    redis_url: str, key_prefix: str, redis_client, keys, tmp_path: Path
) -> None:
    hang = HangingReceiver(hanging=True).start()  # answers nothing for 10 s
    watchlists = tmp_path / "watchlists.yaml"
    watchlists.write_text(
        "watchlists:\n  - id: wl-test\n    name: Test\n    match: {tags_any: [missile_test]}\n"
        f"    targets:\n      - {{type: webhook, url: '{hang.url('/hang')}', "
        f"secret: '{make_secret(5)}'}}\n")
    (watchlist,) = load_watchlists(watchlists, env={})
    env = worker_env(redis_url, key_prefix, "bounded", watchlists_file=str(watchlists),
                     graceful_timeout_s=str(GRACEFUL_S), webhook_timeout_s=str(WEBHOOK_TIMEOUT_S))
    notifier = WorkerProcess("notifier", env, tmp_path).start()
    try:
        (delivery,) = fan_out([make_alert()], [watchlist], now=time.time())
        await publish(redis_client, keys.stream("deliveries", 0), [delivery])

        async def sending() -> bool:
            return hang.hung > 0

        await wait_until(sending, timeout=20, what="the send to the hanging target")
        code, took = await sigterm_timed(notifier, 25)
    finally:
        notifier.stop()
        hang.stop()
    assert code == 0, notifier.log_tail()
    # before: it waited for the send, up to WEBHOOK_TIMEOUT_S (here until the
    # target gave up after 10 s), beyond an orchestrator's grace period
    assert took < GRACEFUL_S + 4, f"SIGTERM took {took:.1f} s"
