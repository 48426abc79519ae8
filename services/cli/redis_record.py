"""Which Redis an embedded-Redis command started, for the other commands to find.

``watchfloor up`` and ``watchfloor demo``, when no Redis is configured,
start one on a free port and write its URL to ``<data dir>/redis.url``
(a line, then the key prefix and the command; readable by the owner only)
while it runs; they remove the file
when they stop it. ``status``, ``alerts``, ``ingest``, ``replay``,
``deliveries`` and ``worker`` read it when ``WATCHFLOOR_REDIS_URL`` is
unset (``services/cli/common.py``), and the key prefix too when none is
configured: the demo's pipeline runs under its own. Only an embedded Redis is recorded: a
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
        text = record_path(data_dir).read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    lines = text.splitlines()
    return lines[0].strip() or None if lines else None


def record_details(data_dir: Path) -> dict[str, str]:
    """What the record says besides the URL: ``prefix`` (the key prefix the
    pipeline runs under: the demo's is its own) and ``by`` (the command)."""
    try:
        lines = record_path(data_dir).read_text(encoding="utf-8").splitlines()[1:]
    except FileNotFoundError:
        return {}
    return {name.strip(): value.strip() for name, sep, value in
            (line.partition("=") for line in lines) if sep and value.strip()}


def write_record(data_dir: Path, url: str, *, prefix: str | None = None,
                 by: str | None = None) -> Path:
    """Write ``url`` (and the key prefix and command) atomically: a reader
    never sees half a record."""
    path = record_path(data_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{RECORD_NAME}.{os.getpid()}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    details = "".join(f"{name}={value}\n" for name, value in (("prefix", prefix), ("by", by))
                      if value)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(url + "\n" + details)
    os.replace(tmp, path)
    return path


def remove_record(data_dir: Path, url: str) -> None:
    """Remove the record if it still names ``url`` (not one written since)."""
    if read_record(data_dir) == url:
        record_path(data_dir).unlink(missing_ok=True)
