"""A short chaos run (``make chaos`` runs the full one): the real workers as
processes under a steady load, a notifier SIGKILLed while it holds entries,
Redis SIGKILLed and restarted from its AOF, the receiver hanging; and, on a
local Redis Cluster, a master SIGKILLed and failed over. Every delivery owed
(the same articles classified and matched offline) arrives, and no
webhook-id arrives twice."""

from __future__ import annotations

import pytest
from watchfloor.services.chaos.faults import build_faults
from watchfloor.services.chaos.run import Plan, cluster_unavailable, run
from watchfloor.shared.settings import Settings

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def test_a_short_chaos_run_loses_nothing_and_repeats_nothing_it_recorded() -> None:
    faults = build_faults(["kill_notifier", "restart_redis", "receiver_hang"],
                          restart_after_s=0.5, redis_down_s=1.0, receiver_down_s=1.0,
                          receiver_hang_s=3.0)
    plan = Plan(faults=faults, rate=10.0, warmup_s=2.0, settle_s=3.0, drain_timeout_s=40.0)
    result = run(plan, Settings(_env_file=None))

    assert result["articles_in"] > 50 and result["alerts_expected"] > 0, result
    assert result["lost"] == 0, (result["lost_ids"], result.get("worker_logs"))
    # a send answered as the notifier was killed may come again once (at-least-once)
    assert result["duplicates"] == result["resent_after_kill"] <= 1, (
        result["duplicate_ids"], result.get("worker_logs"))
    assert result["delivered"] == result["alerts_expected"]
    assert result["unexpected"] == 0 and result["unverified"] == 0
    assert result["passed"] is True
    # each fault was followed by deliveries again
    assert all(f["recovery_s"] is not None for f in result["faults"].values()), result["faults"]
    assert result["faults"]["receiver_hang"]["requests_left_unanswered"] > 0


@pytest.mark.skipif(cluster_unavailable() is not None, reason="redis-cli is not on PATH")
def test_a_cluster_master_failed_over_under_load_loses_nothing() -> None:
    plan = Plan(faults=build_faults(["failover_master"], restart_after_s=0.5, redis_down_s=1.0,
                                    receiver_down_s=1.0, receiver_hang_s=1.0),
                rate=10.0, warmup_s=2.0, settle_s=3.0, drain_timeout_s=60.0)
    result = run(plan, Settings(_env_file=None))

    assert result["runs"].keys() == {"cluster"}
    assert result["articles_in"] > 30 and result["alerts_expected"] > 0, result
    assert (result["lost"], result["duplicates"]) == (0, 0), (
        result["lost_ids"], result["duplicate_ids"], result.get("worker_logs"))
    assert result["passed"] is True
    failover = result["faults"]["failover_master"]
    assert 0 < failover["replica_promoted_s"] <= failover["rejoined_as_replica_s"]
    assert failover["recovery_s"] is not None
