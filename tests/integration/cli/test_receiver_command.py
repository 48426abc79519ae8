"""`watchfloor receiver`: what a newcomer runs as the sample watchlists' endpoint."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx
from standardwebhooks.webhooks import Webhook
from watchfloor.shared.redis_server import free_port

from tests.unit.notifier.factories import make_secret

ALERT = {"type": "watchfloor.alert", "version": 1, "data": {
    "watchlist": {"id": "wl", "name": "WL"},
    "article": {"title": "Coastal battery fires rockets", "url": "https://n.example/1"},
    "tags": [{"tag": "missile_test", "confidence": 0.91, "modality": "asserted",
              "evidence": "The battery fired two rockets."}],
    "actors": [{"id": "KP", "name": "North Korea"}],
    "figures": [{"kind": "missiles", "value": 2.0, "low": None, "high": None}]}}


def test_prints_each_alert_and_checks_its_signature(tmp_path: Path) -> None:
    port, secret = free_port(), make_secret(3)
    watchlists = tmp_path / "watchlists.yaml"
    watchlists.write_text(
        "watchlists:\n  - id: wl\n    name: WL\n    match: {tags_any: [missile_test]}\n"
        "    targets:\n      - type: webhook\n        url: ${WATCHFLOOR_DEMO_RECEIVER}/wl\n"
        f"        secret: {secret}\n")
    # no allowlist: the receiver reads the file for its secrets only
    env = {**os.environ, "WATCHFLOOR_WATCHLISTS_FILE": str(watchlists)}
    for name in ("WATCHFLOOR_DEMO_RECEIVER", "WATCHFLOOR_TARGET_ALLOWLIST"):
        env.pop(name, None)
    process = subprocess.Popen(
        [sys.executable, "-m", "watchfloor.services.cli.main", "receiver", "--port", str(port)],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        while "receiving on" not in (line := process.stdout.readline()):
            assert line, process.stderr.read()
        body = httpx.Request("POST", "/", json=ALERT).content
        now = datetime.fromtimestamp(int(time.time()), UTC)  # signed and sent: one second
        signed = Webhook(secret).sign("msg_1", now, body.decode())
        headers = {"webhook-id": "msg_1", "webhook-signature": signed,
                   "webhook-timestamp": str(int(now.timestamp())),
                   "content-type": "application/json"}
        assert httpx.post(f"http://127.0.0.1:{port}/wl", content=body,
                          headers=headers).status_code == 200
        assert httpx.post(f"http://127.0.0.1:{port}/wl", content=body,
                          headers={**headers, "webhook-signature": "v1,AAAA"}).status_code == 200
        # a body that looks like an alert but is not one does not stop it
        odd = {**ALERT, "data": {**ALERT["data"], "tags": [{"tag": "x", "confidence": "high"}]}}
        assert httpx.post(f"http://127.0.0.1:{port}/odd", json=odd).status_code == 200
        assert httpx.post(f"http://127.0.0.1:{port}/wl", content=body,
                          headers=headers).status_code == 200  # still answering
    finally:
        time.sleep(1.5)  # it prints within a second
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=10)
    assert "[wl] Coastal battery fires rockets" in out
    assert "missile_test" in out and "KP North Korea" in out and "missiles 2" in out
    assert "signature verified, webhook-id msg_1" in out
    assert "signature INVALID" in out
    assert "/odd: " in out and "not a Watchfloor alert" in out
    assert out.count("signature verified") == 2
    assert "Traceback" not in err
