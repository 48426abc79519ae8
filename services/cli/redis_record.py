"""Which Redis an embedded-Redis command started, for the other commands to find.

``watchfloor up`` and ``watchfloor demo``, when no Redis is configured,
start one on a free port and write its URL to ``<data dir>/redis.url``
(one line, readable by the owner only) while it runs; they remove the file
when they stop it. ``status``, ``alerts``, ``ingest``, ``replay``,
``deliveries`` and ``worker`` read it when ``WATCHFLOOR_REDIS_URL`` is
unset (``services/cli/common.py``). Only an embedded Redis is recorded: a
configured URL may hold a password, and whoever configured it has it.
"""

from __future__ import annotations

import os
from pathlib import Path

RECORD_NAME = "redis.url"


def record_path(data_dir: Path) -> Path:
    return Path(data_dir) / RECORD_NAME


def read_record(data_dir: Path) -> str | None:
    """The recorded URL, or None when there is no record (or it is empty)."""
    try:
        text = record_path(data_dir).read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return None
    return text or None


def write_record(data_dir: Path, url: str) -> Path:
    """Write ``url`` atomically (a reader never sees half a line)."""
    path = record_path(data_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{RECORD_NAME}.{os.getpid()}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(url + "\n")
    os.replace(tmp, path)
    return path


def remove_record(data_dir: Path, url: str) -> None:
    """Remove the record if it still names ``url`` (not one written since)."""
    if read_record(data_dir) == url:
        record_path(data_dir).unlink(missing_ok=True)
