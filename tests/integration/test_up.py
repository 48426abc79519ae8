"""`watchfloor up`: the whole pipeline in one process, on its embedded Redis."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import httpx
import pytest
from watchfloor.services.bench.worker_proc import LOOPBACK_ALLOWLIST
from watchfloor.shared.redis_server import free_port

from tests.integration.faults import SECRET, write_watchlists

pytestmark = [pytest.mark.integration, pytest.mark.slow]


@pytest.mark.parametrize("loop", ["uvloop", "asyncio"])
def test_up_runs_everything_in_one_process_and_stops_cleanly(receiver, tmp_path, loop):
    receiver.secrets = {"/alerts": SECRET}
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("WATCHFLOOR_")}
    env.update({
        "WATCHFLOOR_DATA_DIR": str(tmp_path / "data"),
        "WATCHFLOOR_HTTP_PORT": str(port),
        "WATCHFLOOR_WATCHLISTS_FILE": str(write_watchlists(tmp_path)),
        "WATCHFLOOR_LOG_FORMAT": "json",
        "WATCHFLOOR_EVENT_LOOP": loop,
        "WATCHFLOOR_TARGET_ALLOWLIST": LOOPBACK_ALLOWLIST,  # the receiver
        "RECEIVER": receiver.url(""),
    })
    log = (tmp_path / "up.log").open("wb")
    proc = subprocess.Popen([sys.executable, "-m", "watchfloor.services.cli.main", "up"],
                            env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        api = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{api}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        reply = httpx.post(f"{api}/v1/articles", json={
            "title": "Pakistan test-fires nuclear-capable cruise missile",
            "text": "Pakistan said it had successfully test-fired a cruise missile on Friday.",
        })
        assert reply.status_code == 202, reply.text
        assert receiver.wait_for(1, timeout=20), (tmp_path / "up.log").read_text()[-3000:]
        assert receiver.delivered()[0].verified

        proc.send_signal(signal.SIGTERM)
        assert proc.wait(30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        log.close()
    output = (tmp_path / "up.log").read_text()
    assert "embedded_redis_started" in output and "worker_stopped" in output
    # every line in the configured format, the embedded Redis's first one too
    import json
    lines = [line for line in output.splitlines() if line.strip()]
    assert all(line.startswith("{") and json.loads(line) for line in lines), lines[:2]
    assert (tmp_path / "data" / "redis" / "appendonly.aof").exists()
