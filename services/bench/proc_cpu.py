"""CPU time of processes, read from their own clocks (Linux ``/proc``), and
how often they blocked.

Wall time on a shared machine measures the neighbours too; the kernel's
per-process user + system time does not. ``cpu_seconds(pid)`` is what the
process has used since it started; take it before and after a run.
``sleeps(pid)`` counts the times its threads blocked (voluntary context
switches): each is a wake-up to pay for, whatever a wake-up costs on the
host, so it compares code across hosts where CPU time cannot.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def parse_stat(line: str) -> float:
    """utime + stime, in seconds, from one ``/proc/<pid>/stat`` line.

    The command name (field 2) is in parentheses and may hold spaces, so
    fields are counted from the last ')'."""
    rest = line[line.rindex(")") + 2:].split()
    # rest[0] is field 3 (state): utime and stime are fields 14 and 15.
    return (int(rest[11]) + int(rest[12])) / _TICKS


def cpu_seconds(pid: int) -> float | None:
    """CPU seconds used by ``pid`` so far; None if it cannot be read."""
    try:
        return parse_stat(Path(f"/proc/{pid}/stat").read_text())
    except (OSError, ValueError, IndexError):
        return None


def sleeps(pid: int) -> int | None:
    """Times ``pid``'s threads have blocked so far (those alive now: a worker's
    threads live as long as it does); None if it cannot be read."""
    total = 0
    try:
        for task in Path(f"/proc/{pid}/task").iterdir():
            for line in (task / "status").read_text().splitlines():
                if line.startswith("voluntary_ctxt_switches:"):
                    total += int(line.split()[1])
    except (OSError, ValueError, IndexError):
        return None
    return total


def snapshot(pids: dict[str, int | None],
             read: Callable[[int], float | None] = cpu_seconds) -> dict[str, float | None]:
    """``read`` (CPU seconds by default, or ``sleeps``) of each process."""
    return {name: (read(pid) if pid else None) for name, pid in pids.items()}


def ms_per_item(before: dict[str, float | None], after: dict[str, float | None],
                items: int) -> dict[str, float | None]:
    """CPU milliseconds per item for each process, and their ``total``."""
    return per_item(before, after, items, scale=1000)


def per_item(before: dict[str, float | None], after: dict[str, float | None], items: int,
             *, scale: float = 1.0) -> dict[str, float | None]:
    """(after - before) * ``scale`` per item for each process, and their ``total``."""
    out: dict[str, float | None] = {}
    total = 0.0
    for name, start in before.items():
        end = after.get(name)
        if start is None or end is None or items <= 0:
            out[name] = None
            continue
        out[name] = round((end - start) * scale / items, 3)
        total += end - start
    out["total"] = round(total * scale / items, 3) if items > 0 else None
    return out
