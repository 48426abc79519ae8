"""Real ``watchfloor worker`` processes, as an orchestrator runs them: the
bench's stack, the chaos suite and the fault tests start, SIGKILL, restart
and stop them through ``WorkerProcess``."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path

LOOPBACK_ALLOWLIST = "127.0.0.0/8,::1/128"


# The name under which ``watchfloor up`` (every worker in one process) runs.
PIPELINE = "pipeline"


class WorkerProcess:
    def __init__(self, name: str, env: dict[str, str], log_dir: Path, tag: str = "") -> None:
        """``name``: a worker (``watchfloor worker <name>``), or ``PIPELINE``
        for all of them in one process (``watchfloor up``)."""
        self.name = name
        self.env = {**os.environ, **env}
        self.log_path = log_dir / f"{name}{tag}.log"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> WorkerProcess:
        """Start (or, after ``kill``/``stop``, start again: same settings, log appended)."""
        command = ["up"] if self.name == PIPELINE else ["worker", self.name]
        with self.log_path.open("ab") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "watchfloor.services.cli.main", *command],
                env=self.env, stdout=log, stderr=subprocess.STDOUT,
            )
        return self

    @property
    def pid(self) -> int:
        assert self.proc
        return self.proc.pid

    def kill(self) -> None:
        """SIGKILL: no clean-up at all, like a crashed host."""
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)

    def stop(self, timeout: float = 20) -> int | None:
        if not self.proc:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.proc.returncode

    def alive(self) -> bool:
        return bool(self.proc) and self.proc.poll() is None

    def log_tail(self, chars: int = 3000) -> str:
        return self.log_path.read_text(errors="replace")[-chars:] if self.log_path.exists() else ""

    def log_lines_with(self, needles: Iterable[str]) -> list[str]:
        """The log lines that mention any of ``needles`` (say, a delivery id)."""
        if not self.log_path.exists():
            return []
        wanted = tuple(needles)
        return [line for line in self.log_path.read_text(errors="replace").splitlines()
                if any(n in line for n in wanted)]


def worker_env(redis_url: str, prefix: str, consumer: str, **extra: str) -> dict[str, str]:
    env = {
        "WATCHFLOOR_REDIS_URL": redis_url,
        "WATCHFLOOR_KEY_PREFIX": prefix,
        "WATCHFLOOR_CONSUMER_NAME": consumer,
        "WATCHFLOOR_LOG_FORMAT": "json",
        "WATCHFLOOR_RECLAIM_IDLE_MS": "1500",
        "WATCHFLOOR_MAINTENANCE_INTERVAL_S": "0.5",
        "WATCHFLOOR_POLL_INTERVAL_MS": "50",
        "WATCHFLOOR_RETRY_SCHEDULE_S": "0.2,0.5",
        "WATCHFLOOR_HTTP_PORT": "0",
        # the local receivers are on loopback
        "WATCHFLOOR_TARGET_ALLOWLIST": LOOPBACK_ALLOWLIST,
    }
    env.update({f"WATCHFLOOR_{k.upper()}": v for k, v in extra.items()})
    return env
