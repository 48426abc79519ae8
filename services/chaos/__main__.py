"""The chaos suite: faults under a steady load; prints one JSON line.

    python -m watchfloor.services.chaos [--faults kill_ingest,...] [--receiver-down-s 20]

A private redis-server (appendonly yes, appendfsync always: a restart keeps
everything it acknowledged), the three workers as processes
(``watchfloor worker ...``), a webhook receiver that verifies every Standard
Webhooks signature, and articles posted one at a time at ``--rate`` to
ingest over loopback. After ``--warmup-s``, each fault in turn, then
``--settle-s`` of steady load; then the load stops and the run waits (at most
``--drain-timeout-s``) for every delivery owed.

``failover_master`` runs afterwards on a local Redis Cluster (3 masters, 3
replicas; the workers in cluster mode on 3 partitions) when ``redis-cli``
is on PATH, and is skipped, saying so, otherwise.

Owed: the same articles classified offline (as ``watchfloor classify``)
and matched against the same watchlists, with the project's code. Exit code
0 when nothing owed was lost and no webhook-id arrived twice, 1 otherwise —
save one case, counted apart as ``resent_after_kill``: a delivery the
receiver answered as the notifier was SIGKILLed, before it could write the
answer down. Delivery over HTTP is at-least-once (no sender can know an
answer it never read); such a delivery is sent again once its lease ends,
with the same webhook-id, by which receivers deduplicate.
"""

from __future__ import annotations

import argparse
import json
import sys

from pydantic import ValidationError
from pydantic_settings import SettingsError
from watchfloor.services.chaos.faults import FAULT_NAMES, build_faults
from watchfloor.services.chaos.run import Plan, run
from watchfloor.services.cli.loaded_settings import describe_settings_error
from watchfloor.shared.settings import Settings


def _fault_list(value: str) -> list[str]:
    names = [v.strip() for v in value.split(",") if v.strip()]
    unknown = [n for n in names if n not in FAULT_NAMES]
    if unknown or not names:
        raise argparse.ArgumentTypeError(
            f"unknown fault {', '.join(unknown) or '(none given)'}; known: {', '.join(FAULT_NAMES)}")
    return names


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m watchfloor.services.chaos", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--faults", type=_fault_list, default=list(FAULT_NAMES),
                   help=f"comma-separated, in order (default: {','.join(FAULT_NAMES)})")
    p.add_argument("--rate", type=_positive, default=20.0, help="articles a second (default 20)")
    p.add_argument("--receiver-down-s", type=_positive, default=20.0,
                   help="how long the receiver is down (default 20; make chaos: 60)")
    p.add_argument("--receiver-hang-s", type=_positive, default=15.0,
                   help="how long the receiver accepts but never answers (default 15)")
    p.add_argument("--redis-down-s", type=_positive, default=3.0,
                   help="from SIGKILL to restart of redis-server (default 3)")
    p.add_argument("--restart-after-s", type=_positive, default=1.0,
                   help="from a worker's SIGKILL to its restart (default 1)")
    p.add_argument("--warmup-s", type=_positive, default=5.0, help="load before the first fault")
    p.add_argument("--settle-s", type=_positive, default=10.0, help="load after each fault")
    p.add_argument("--drain-timeout-s", type=_positive, default=120.0,
                   help="the longest wait for what is owed after the load stops (default 120)")
    return p


def _positive(value: str) -> float:
    try:
        number = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {value!r}") from None
    if number <= 0:
        raise argparse.ArgumentTypeError(f"must be above 0: {value}")
    return number


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        settings = Settings()  # the offline classifier's, as the workers read it
    except (ValidationError, SettingsError) as exc:
        print(f"chaos: {describe_settings_error(exc)}", file=sys.stderr)
        return 2
    faults = build_faults(args.faults, restart_after_s=args.restart_after_s,
                          redis_down_s=args.redis_down_s, receiver_down_s=args.receiver_down_s,
                          receiver_hang_s=args.receiver_hang_s)
    plan = Plan(faults=faults, rate=args.rate, warmup_s=args.warmup_s, settle_s=args.settle_s,
                drain_timeout_s=args.drain_timeout_s)
    result = run(plan, settings)
    print(json.dumps(result))
    return 0 if result["passed"] else 1


if __name__ == "__main__":
    sys.exit(main())
