"""Per-target send rates: at most ``rate_per_s`` sends a second to one target.

``RateLimits.check(lane, rate, now)`` says whether a delivery to the
target of ``lane`` may be sent now (None, and the send is counted) or at
which time it should come back. A delivery over the rate is not a failure
and not an attempt: the pipeline puts it back in the retry schedule, same
attempt, due at the returned time, and no handler ever sleeps.

Deliveries turned away are spread out: each gets the slot after the last
one handed out, so a burst of a hundred alerts to a Slack webhook (one a
second) comes back one a second rather than all at once. A slot is not
held for the delivery that got it (a fresh delivery may take a free slot
first; the one that comes back then gets the next). Rates are kept per
notifier process, in memory: with N notifier copies a target gets up to N
times its rate.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass

#: Lanes idle this long (seconds) are forgotten by ``prune``.
IDLE_S = 600.0


@dataclass
class _Pace:
    next_free: float = 0.0  # when the next send may go
    last_slot: float = 0.0  # the latest time handed to a delivery turned away


class RateLimits:
    def __init__(self) -> None:
        self._paces: dict[Hashable, _Pace] = {}

    def check(self, lane: Hashable, rate_per_s: float | None, now: float) -> float | None:
        """None: send now (counted). Else the unix time to come back at."""
        if rate_per_s is None:
            return None
        interval = 1.0 / rate_per_s
        pace = self._paces.setdefault(lane, _Pace())
        if now >= pace.next_free:
            pace.next_free = now + interval
            return None
        slot = max(pace.next_free, pace.last_slot + interval)
        pace.last_slot = slot
        return slot

    def prune(self, now: float) -> None:
        """Forget lanes with nothing sent nor due for a while."""
        for lane in [k for k, p in self._paces.items()
                     if max(p.next_free, p.last_slot) + IDLE_S < now]:
            del self._paces[lane]
