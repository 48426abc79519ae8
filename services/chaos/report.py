"""The chaos run's figures, from what was owed, what the receiver got and
when each fault happened. Pure: no processes, no clocks."""

from __future__ import annotations

import collections
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Received:
    """One request the receiver got: its webhook-id, when, signature checked, answer."""

    webhook_id: str | None
    received_at: float
    verified: bool | None
    status: int

    @property
    def delivered(self) -> bool:
        return self.status < 300 and self.verified is True


@dataclass(frozen=True)
class FaultWindow:
    """A fault from ``began`` until ``ended`` (unix seconds), with what it
    found; ``struck``: when it hit (a kill waits for its victim to hold work)."""

    name: str
    began: float
    ended: float
    detail: dict[str, Any] = field(default_factory=dict)
    struck: float | None = None


def first_delivered(received: Sequence[Received]) -> dict[str, float]:
    """webhook-id -> when it was first delivered."""
    first: dict[str, float] = {}
    for r in received:
        if r.delivered and r.webhook_id is not None and r.webhook_id not in first:
            first[r.webhook_id] = r.received_at
    return first


def fault_figures(windows: Sequence[FaultWindow], received: Sequence[Received],
                  owed: Mapping[str, str], accepted_at: Mapping[str, float],
                  started: float) -> dict[str, dict[str, Any]]:
    """Per fault: when (``at_s`` from the start), how long it lasted, the time
    to recover (first delivery after it ended) and to catch up (every delivery
    owed for the articles accepted since the previous fault ended, up to the
    end of this one, has arrived; None if some never did)."""
    first = first_delivered(received)
    deliveries = sorted(r.received_at for r in received if r.delivered)
    out: dict[str, dict[str, Any]] = {}
    seen: collections.Counter[str] = collections.Counter()
    previous_end = started
    for window in windows:
        after = next((t for t in deliveries if t >= window.ended), None)
        segment = [wid for wid, article in owed.items()
                   if previous_end < accepted_at.get(article, float("inf")) <= window.ended]
        arrived = [first.get(wid) for wid in segment]
        caught_up = None
        if all(t is not None for t in arrived):
            caught_up = round(max([t - window.ended for t in arrived] + [0.0]), 2)
        seen[window.name] += 1  # a fault given twice: kill_notifier, kill_notifier_2
        name = window.name if seen[window.name] == 1 else f"{window.name}_{seen[window.name]}"
        out[name] = {
            "at_s": round(window.began - started, 1),
            "lasted_s": round(window.ended - window.began, 2),
            "recovery_s": round(after - window.ended, 2) if after is not None else None,
            "caught_up_s": caught_up,
            "owed_in_segment": len(segment),
            **window.detail,
        }
        previous_end = window.ended
    return out


#: A delivery the receiver answered this long before the notifier was
#: SIGKILLed may never have been recorded: the answer was in flight at the kill.
IN_FLIGHT_S = 1.0


def _in_flight_at_kill(first: float, windows: Sequence[FaultWindow]) -> bool:
    return any(w.name == "kill_notifier" and w.struck is not None
               and w.struck - IN_FLIGHT_S <= first <= w.struck for w in windows)


def duplicate_details(received: Sequence[Received], windows: Sequence[FaultWindow],
                      started: float) -> list[dict[str, Any]]:
    """Each webhook-id delivered more than once: when each delivery came
    (seconds from the start), the last fault begun before the repeat (where
    to look in the logs) and whether the first was answered as the notifier
    was killed. That one is at-least-once delivery at work, not a fault: a
    process killed between the target's answer and writing it down cannot
    know it was delivered, and sends it again once its lease ends."""
    times: dict[str, list[float]] = collections.defaultdict(list)
    for r in received:
        if r.delivered and r.webhook_id is not None:
            times[r.webhook_id].append(r.received_at)
    out = []
    for wid, at in times.items():
        if len(at) < 2:
            continue
        before = [w.name for w in windows if w.began <= at[1]]
        out.append({"webhook_id": wid, "delivered_at_s": [round(t - started, 2) for t in at],
                    "after_fault": before[-1] if before else None,
                    "in_flight_at_kill": len(at) == 2 and _in_flight_at_kill(at[0], windows)})
    return sorted(out, key=lambda d: d["delivered_at_s"][1])


def summary(*, articles_in: int, owed: Mapping[str, str], received: Sequence[Received],
            windows: Sequence[FaultWindow], accepted_at: Mapping[str, float],
            started: float) -> dict[str, Any]:
    """The counts and the verdict: passed when something was owed, nothing
    owed is missing and no webhook-id was delivered twice but for a send
    answered as the notifier was killed (``resent_after_kill``)."""
    counts = collections.Counter(r.webhook_id for r in received if r.delivered)
    delivered = set(counts)
    lost = set(owed) - delivered
    duplicates = sum(n - 1 for n in counts.values())
    repeats = duplicate_details(received, windows, started)
    resent_after_kill = sum(1 for d in repeats if d["in_flight_at_kill"])
    return {
        "articles_in": articles_in,
        "alerts_expected": len(owed),
        "delivered": len(delivered & set(owed)),
        "duplicates": duplicates,
        "resent_after_kill": resent_after_kill,
        "lost": len(lost),
        "unexpected": len(delivered - set(owed)),
        "unverified": sum(1 for r in received if r.verified is not True),
        "faults": fault_figures(windows, received, owed, accepted_at, started),
        "lost_ids": sorted(lost)[:10],
        "duplicate_ids": repeats[:10],
        "passed": bool(owed) and not lost and duplicates == resent_after_kill,
    }


COUNTS = ("articles_in", "alerts_expected", "delivered", "duplicates", "resent_after_kill",
          "lost", "unexpected", "unverified")


def combine(phases: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    """One result from the runs on a single Redis and on the cluster: counts
    added up, faults side by side, passed when every run passed (and one ran)."""
    out: dict[str, Any] = {name: sum(p[name] for p in phases.values()) for name in COUNTS}
    out["faults"] = {name: figures for p in phases.values() for name, figures in p["faults"].items()}
    out["lost_ids"] = [wid for p in phases.values() for wid in p["lost_ids"]][:10]
    out["duplicate_ids"] = [d for p in phases.values() for d in p["duplicate_ids"]][:10]
    out["passed"] = bool(phases) and all(p["passed"] for p in phases.values())
    loads = [p["load"] for p in phases.values()]
    out["load"] = {name: sum(load[name] for load in loads) for name in
                   ("post_retries", "not_accepted", "input_duplicates")}
    out["load"]["rate_per_s"] = loads[0]["rate_per_s"] if loads else None
    out["seconds"] = round(sum(p["seconds"] for p in phases.values()), 1)
    out["runs"] = {name: {count: p[count] for count in COUNTS} for name, p in phases.items()}
    for extra in ("worker_logs", "duplicate_logs"):
        found = {name: p[extra] for name, p in phases.items() if extra in p}
        if found:
            out[extra] = found
    return out
