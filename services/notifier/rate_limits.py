"""Per-target send rates: at most ``rate_per_s`` sends a second to one target.

``RateLimits.check(lane, rate, now, delivery)`` says whether a delivery to the
target of ``lane`` may be sent now (None, and the send is counted) or at
which time it should come back. A delivery over the rate is not a failure
and not an attempt: the pipeline puts it back in the retry schedule, same
attempt, due at the returned time, and no handler ever sleeps.

Deliveries turned away queue in order: each gets the slot after the last
one handed out, and the slot is held for it. A fresh delivery queues behind
them, so a burst of a hundred alerts to a Slack webhook (one a second) goes
out one a second, oldest first, even while new alerts keep coming (when the
slot was not held, each new alert took it, and the turned-away ones went to
the back of the queue again and again). Two sends are never closer than the
rate allows: one that comes back late (a busy notifier) goes, and the next
held ones move back one interval each instead of all going at once. Rates
are kept per notifier process, in memory: with N notifier copies a target
gets up to N times its rate, and a delivery another copy turned away queues
anew here.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass, field

#: Lanes idle this long (seconds) are forgotten by ``prune``.
IDLE_S = 600.0


@dataclass
class _Pace:
    next_free: float = 0.0  # the first slot not handed out
    last_send: float = float("-inf")
    held: dict[Hashable, float] = field(default_factory=dict)  # delivery -> its slot


class RateLimits:
    def __init__(self) -> None:
        self._paces: dict[Hashable, _Pace] = {}

    def check(self, lane: Hashable, rate_per_s: float | None, now: float,
              delivery: Hashable) -> float | None:
        """None: send now (counted). Else the unix time to come back at,
        held for ``delivery`` (its id)."""
        if rate_per_s is None:
            return None
        interval = 1.0 / rate_per_s
        pace = self._paces.setdefault(lane, _Pace())
        earliest = pace.last_send + interval  # never two sends closer than this
        slot = pace.held.pop(delivery, None)
        if slot is None:  # fresh: behind every slot handed out
            slot = max(now, pace.next_free, earliest)
            pace.next_free = slot + interval
        else:  # its own slot, or one interval after a send that went late
            slot = max(slot, earliest)
        if slot <= now:
            pace.last_send = now
            return None
        pace.held[delivery] = slot
        return slot

    def prune(self, now: float) -> None:
        """Forget lanes with nothing sent nor due for a while, and slots held
        for deliveries that never came back (another copy sent them)."""
        for lane, pace in list(self._paces.items()):
            for delivery in [d for d, slot in pace.held.items() if slot + IDLE_S < now]:
                del pace.held[delivery]
            if not pace.held and pace.next_free + IDLE_S < now:
                del self._paces[lane]
