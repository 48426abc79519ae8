"""Per-target lanes: a slow or hanging target slows only its own deliveries.

Each target (watchlist id, target name) has a lane. A delivery is *admitted*
to its lane before it is sent, and leaves it once its outcome is recorded;
meanwhile it waits for one of the lane's ``per_target`` send slots, then for
one of the process's ``total`` ones. So a target that hangs holds at most
``per_target`` of the ``total`` slots, and the others keep sending.

What a lane admits depends on what it has seen:

======== ================================================ =================
state    when                                             admits (in flight
                                                          plus waiting)
======== ================================================ =================
healthy  its last send answered within ``slow_after_s``   ``per_target x
         and none in flight is older                      waves``
unknown  no send finished yet                             same
slow     its last send took ``slow_after_s`` or more (a   ``per_target``
         timeout), or one in flight is that old
======== ================================================ =================

A full lane that is healthy or unknown answers ``WAIT``: the caller waits for
room, which a target that answers gives within milliseconds (backpressure on
a busy target, a burst to a new one included). ``wait_for_room`` returns as
soon as the lane has room *or* turns slow, so no caller waits on a hanging
target longer than ``slow_after_s``, once. A full lane that is slow answers
``PARK``: the caller puts the delivery aside (the retry schedule) rather than
wait behind a target that may never answer; ``send_time_s`` says how long
its sends take, to space out their return.

Memory is bounded by ``per_target x waves`` deliveries per target. Nothing
here does I/O; time comes from ``clock`` (monotonic seconds).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable, Hashable
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass, field
from enum import StrEnum

#: A lane with nothing admitted is forgotten after this long unused.
IDLE_LANE_S = 600.0


class Admission(StrEnum):
    SEND = "send"  # admitted: a place in the lane is the caller's until ``leave``
    WAIT = "wait"  # full but healthy: ``wait_for_room``, then ask again
    PARK = "park"  # full and slow (or unknown): put it aside


class LaneState(StrEnum):
    HEALTHY = "healthy"
    UNKNOWN = "unknown"
    SLOW = "slow"


@dataclass
class _Lane:
    slots: asyncio.Semaphore
    admitted: int = 0  # in flight or waiting, until ``leave``
    sending: dict[int, float] = field(default_factory=dict)  # send id -> start time
    last_send_s: float | None = None
    parked_in_a_row: int = 0
    last_used: float = 0.0


class Lanes:
    def __init__(
        self,
        *,
        per_target: int,
        total: int,
        waves: int,
        slow_after_s: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.per_target = max(1, min(per_target, total))
        self.capacity = self.per_target * max(1, waves)
        self.slow_after_s = slow_after_s
        self._total = asyncio.Semaphore(total)
        self._clock = clock
        self._lanes: dict[Hashable, _Lane] = {}
        self._changed = asyncio.Event()
        self._next_send = 0

    # Admission -------------------------------------------------------------

    def admit(self, key: Hashable) -> Admission:
        lane = self._lane(key)
        state = self._state(lane)
        limit = self.per_target if state is LaneState.SLOW else self.capacity
        if lane.admitted < limit:
            lane.admitted += 1
            lane.parked_in_a_row = 0
            return Admission.SEND
        if state is not LaneState.SLOW:
            return Admission.WAIT
        lane.parked_in_a_row += 1
        return Admission.PARK

    def parked_in_a_row(self, key: Hashable) -> int:
        """How many deliveries this lane has turned away since it last admitted one."""
        return self._lane(key).parked_in_a_row

    def send_time_s(self, key: Hashable) -> float | None:
        """How long the lane's last send took (None: none finished yet)."""
        return self._lane(key).last_send_s

    async def wait_for_room(self, key: Hashable) -> None:
        """Until the lane is half empty, or turned slow (then ``admit`` parks).
        Half: the waiting caller then admits a good chunk at once, one claim
        round trip for many deliveries rather than one each."""
        lane = self._lane(key)
        while lane.admitted > self.capacity // 2 and self._state(lane) is not LaneState.SLOW:
            changed = self._changed
            # The lane turns slow by time alone: look again when its oldest
            # send reaches slow_after_s, even if nothing finishes.
            oldest = min(lane.sending.values(), default=None)
            timeout = self.slow_after_s
            if oldest is not None:
                timeout = max(0.001, oldest + self.slow_after_s - self._clock())
            with suppress(TimeoutError):
                await asyncio.wait_for(changed.wait(), timeout)

    def leave(self, key: Hashable) -> None:
        """The admitted delivery's outcome is recorded (or it was not sent)."""
        lane = self._lane(key)
        lane.admitted -= 1
        lane.last_used = self._clock()
        self._notify()

    # Sending ---------------------------------------------------------------

    @asynccontextmanager
    async def slot(self, key: Hashable) -> AsyncIterator[Callable[[], None]]:
        """Hold one of the lane's send slots and one of the process's.
        Yields ``sent``: call it once the send has its answer, so its time
        counts towards the lane's state (a send not made does not count)."""
        lane = self._lane(key)
        async with lane.slots, self._total:
            self._next_send += 1
            send_id = self._next_send
            started = self._clock()
            lane.sending[send_id] = started

            def sent() -> None:
                lane.last_send_s = self._clock() - started

            try:
                yield sent
            finally:
                del lane.sending[send_id]
                self._notify()

    # State -----------------------------------------------------------------

    def state(self, key: Hashable) -> LaneState:
        return self._state(self._lane(key))

    def admitted(self, key: Hashable) -> int:
        lane = self._lanes.get(key)
        return lane.admitted if lane else 0

    def prune(self) -> None:
        """Forget lanes idle for ``IDLE_LANE_S`` (targets removed long ago)."""
        cutoff = self._clock() - IDLE_LANE_S
        for key in [k for k, lane in self._lanes.items()
                    if lane.admitted == 0 and lane.last_used < cutoff]:
            del self._lanes[key]

    def _lane(self, key: Hashable) -> _Lane:
        lane = self._lanes.get(key)
        if lane is None:
            lane = self._lanes[key] = _Lane(asyncio.Semaphore(self.per_target),
                                            last_used=self._clock())
        return lane

    def _state(self, lane: _Lane) -> LaneState:
        now = self._clock()
        if any(now - started >= self.slow_after_s for started in lane.sending.values()):
            return LaneState.SLOW
        if lane.last_send_s is None:
            return LaneState.UNKNOWN
        return LaneState.SLOW if lane.last_send_s >= self.slow_after_s else LaneState.HEALTHY

    def _notify(self) -> None:
        self._changed.set()
        self._changed = asyncio.Event()
