"""The bench's receiver runs in its own process and verifies every signature."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx
from standardwebhooks.webhooks import Webhook
from watchfloor.services.bench.pipeline_run import SECRET
from watchfloor.services.bench.receiver_proc import ReceiverProcess


def test_receiver_process_verifies_signatures_and_counts_the_bad_ones(tmp_path: Path) -> None:
    body = json.dumps({"data": {"article": {"id": "u-1"}}}).encode()
    now = _now()
    good = Webhook(SECRET).sign("msg_1", now, body.decode())
    with ReceiverProcess(tmp_path, SECRET) as receiver:
        headers = {"webhook-id": "msg_1", "webhook-timestamp": str(int(now.timestamp())),
                   "content-type": "application/json"}
        httpx.post(receiver.url(), content=body, headers={**headers, "webhook-signature": good})
        httpx.post(receiver.url(), content=body, headers={**headers, "webhook-signature": "v1,AAAA"})
        deadline = time.monotonic() + 30
        while len(receiver.received()) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        got = receiver.received()
    assert [(r.article_id, r.verified) for r in got] == [("u-1", True), ("u-1", False)]



def _now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)
