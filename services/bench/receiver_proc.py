"""The bench's webhook receiver in a process of its own, so its CPU is
measured apart from the bench's client.

    python -m watchfloor.services.bench.receiver_proc --out FILE [--secret-env VAR]

It prints its port on the first line of stdout, verifies every Standard
Webhooks signature with the secret (from the environment variable named by
``--secret-env``, never argv), and appends one JSON line per request to
FILE: ``[received_at, article_id, verified, status]``.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from watchfloor.services.receiver import WebhookReceiver

PATH = "/bench"


def _article_id(body: bytes) -> str | None:
    try:
        return json.loads(body)["data"]["article"]["id"]
    except (ValueError, KeyError, TypeError):
        return None


def serve(out: Path, secret: str | None) -> None:
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    receiver = WebhookReceiver(secrets={PATH: secret} if secret else {}).start()
    print(receiver.port, flush=True)
    written = 0
    with out.open("a") as sink:
        while True:
            stopping = stop.wait(0.1)
            fresh = receiver.requests[written:]  # appended only; a slice is a snapshot
            for r in fresh:
                sink.write(json.dumps([r.received_at, _article_id(r.body), r.verified, r.status]))
                sink.write("\n")
            written += len(fresh)
            sink.flush()
            if stopping:
                break
    receiver.stop()


@dataclass(frozen=True)
class Received:
    received_at: float
    article_id: str | None
    verified: bool | None
    status: int


class ReceiverProcess:
    """Start the receiver process; ``received()`` reads what it got so far."""

    def __init__(self, workdir: Path, secret: str) -> None:
        self._out = workdir / "received.jsonl"
        self._out.touch()
        env = {**os.environ, "WATCHFLOOR_BENCH_SECRET": secret}
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "watchfloor.services.bench.receiver_proc",
             "--out", str(self._out), "--secret-env", "WATCHFLOOR_BENCH_SECRET"],
            env=env, stdout=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline() if self.proc.stdout else ""
        if not line.strip().isdigit():
            self.stop()
            raise SystemExit("the bench's webhook receiver did not start")
        self.port = int(line)
        self._seen: list[Received] = []
        self._offset = 0

    @property
    def pid(self) -> int:
        return self.proc.pid

    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}{PATH}"

    def received(self) -> list[Received]:
        with self._out.open() as source:
            source.seek(self._offset)
            chunk = source.read()
        complete = chunk[: chunk.rfind("\n") + 1]
        self._offset += len(complete.encode())
        self._seen += [Received(*json.loads(line)) for line in complete.splitlines()]
        return self._seen

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def __enter__(self) -> ReceiverProcess:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", required=True)
    parser.add_argument("--secret-env", help="environment variable holding the whsec_ secret")
    args = parser.parse_args(argv)
    serve(Path(args.out), os.environ.get(args.secret_env) if args.secret_env else None)
    return 0


if __name__ == "__main__":
    sys.exit(main())
