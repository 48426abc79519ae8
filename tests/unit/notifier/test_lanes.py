"""Lanes: per-target limits, and what a full lane answers as its target's state changes."""

from __future__ import annotations

import asyncio

from watchfloor.services.notifier.lanes import Admission, Lanes, LaneState


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def lanes(clock: Clock, **kw: int | float) -> Lanes:
    values: dict = {"per_target": 2, "total": 10, "waves": 2, "slow_after_s": 1.0} | kw
    return Lanes(clock=clock, **values)


async def finished_send(lanes: Lanes, key: str, clock: Clock, seconds: float) -> None:
    async with lanes.slot(key) as sent:
        clock.now += seconds
        sent()


async def test_a_new_lane_admits_its_capacity_then_waits_until_its_sends_turn_slow() -> None:
    clock = Clock()
    lane = lanes(clock)
    assert [lane.admit("a") for _ in range(5)] == [Admission.SEND] * 4 + [Admission.WAIT]
    assert lane.state("a") is LaneState.UNKNOWN  # no send has answered yet
    assert lane.admit("b") is Admission.SEND  # another target is not affected
    async with lane.slot("a"):
        clock.now += 1.0  # a send in flight for slow_after_s: the target may hang
        assert lane.state("a") is LaneState.SLOW
        assert lane.admit("a") is Admission.PARK
        assert lane.parked_in_a_row("a") == 1


async def test_a_healthy_full_lane_asks_to_wait_then_admits_when_one_leaves() -> None:
    clock = Clock()
    lane = lanes(clock)
    await finished_send(lane, "a", clock, 0.01)
    assert lane.state("a") is LaneState.HEALTHY
    for _ in range(4):
        assert lane.admit("a") is Admission.SEND
    assert lane.admit("a") is Admission.WAIT

    waiter = asyncio.create_task(lane.wait_for_room("a"))
    await asyncio.sleep(0)
    lane.leave("a")
    await asyncio.sleep(0)
    assert not waiter.done()  # room for one: the waiter waits for half the lane
    lane.leave("a")
    await asyncio.wait_for(waiter, 1)
    assert [lane.admit("a") for _ in range(3)] == [Admission.SEND] * 2 + [Admission.WAIT]


async def test_a_slow_send_makes_the_lane_slow_and_small_until_a_fast_one() -> None:
    clock = Clock()
    lane = lanes(clock)
    await finished_send(lane, "a", clock, 1.5)  # a timeout, say
    assert lane.state("a") is LaneState.SLOW
    # A slow lane holds no more than it can have in flight.
    assert [lane.admit("a") for _ in range(3)] == [Admission.SEND] * 2 + [Admission.PARK]
    lane.leave("a")
    lane.leave("a")
    await finished_send(lane, "a", clock, 0.01)
    assert lane.state("a") is LaneState.HEALTHY


async def test_a_send_in_flight_too_long_makes_the_lane_slow_and_frees_a_waiter() -> None:
    clock = Clock()
    lane = lanes(clock, slow_after_s=0.05)
    await finished_send(lane, "a", clock, 0.01)
    for _ in range(4):
        lane.admit("a")
    hanging = asyncio.Event()

    async def hang() -> None:
        async with lane.slot("a"):
            hanging.set()
            await asyncio.sleep(3600)

    sender = asyncio.create_task(hang())
    await hanging.wait()
    waiter = asyncio.create_task(lane.wait_for_room("a"))
    await asyncio.sleep(0.01)
    assert not waiter.done()
    clock.now += 0.06  # the send is now older than slow_after_s
    await asyncio.wait_for(waiter, 1)  # woken by time alone: nothing finished
    assert lane.state("a") is LaneState.SLOW and lane.admit("a") is Admission.PARK
    sender.cancel()


async def test_slots_limit_each_target_and_the_total() -> None:
    clock = Clock()
    lane = lanes(clock, per_target=2, total=3)
    running: dict[str, int] = {"a": 0, "b": 0}
    peak = {"a": 0, "b": 0, "all": 0}

    async def send(key: str) -> None:
        async with lane.slot(key):
            running[key] += 1
            peak[key] = max(peak[key], running[key])
            peak["all"] = max(peak["all"], sum(running.values()))
            await asyncio.sleep(0.01)
            running[key] -= 1

    await asyncio.gather(*(send(k) for k in "aaaaabbbbb"))
    assert peak == {"a": 2, "b": 2, "all": 3}


async def test_idle_lanes_are_forgotten() -> None:
    clock = Clock()
    lane = lanes(clock)
    lane.admit("a")
    await finished_send(lane, "a", clock, 1.5)
    lane.leave("a")
    lane.prune()
    assert lane.state("a") is LaneState.SLOW  # remembered while recent
    clock.now += 601
    lane.prune()
    assert lane.state("a") is LaneState.UNKNOWN  # a fresh lane
