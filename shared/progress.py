"""Progress lines for long command-line work: at most one every few seconds,
none at all for work that finishes quickly."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import IO


class Progress:
    def __init__(self, label: str, *, stream: IO[str] | None = None, every_s: float = 2.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.label = label
        self.count = 0
        self._stream = stream if stream is not None else sys.stderr
        self._every_s = every_s
        self._clock = clock
        self._started = clock()
        self._last = self._started

    def add(self, n: int = 1) -> None:
        self.count += n
        now = self._clock()
        if now - self._last >= self._every_s:
            self._last = now
            rate = self.count / (now - self._started) if now > self._started else 0.0
            print(f"{self.label}: {self.count:,} so far ({rate:,.0f}/s)", file=self._stream,
                  flush=True)
