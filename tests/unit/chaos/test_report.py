"""The chaos run's count: lost, duplicates and recovery from what arrived."""

from __future__ import annotations

from watchfloor.services.chaos.report import FaultWindow, Received, combine, summary

OWED = {"msg_a": "art-1", "msg_b": "art-2", "msg_c": "art-3"}
ACCEPTED = {"art-1": 100.0, "art-2": 104.0, "art-3": 111.0}
FAULT = FaultWindow("receiver_down", began=105.0, ended=110.0)


def test_every_owed_delivery_once_passes_and_recovery_counts_from_the_fault_end() -> None:
    received = [
        Received("msg_a", 101.0, True, 200),
        Received("msg_b", 105.5, None, 0),  # not answered: not delivered
        Received("msg_b", 112.5, True, 200),
        Received("msg_c", 111.5, True, 200),
    ]
    result = summary(articles_in=3, owed=OWED, received=received, windows=[FAULT],
                     accepted_at=ACCEPTED, started=95.0)
    assert (result["delivered"], result["lost"], result["duplicates"]) == (3, 0, 0)
    assert result["passed"] is True
    fault = result["faults"]["receiver_down"]
    assert fault["recovery_s"] == 1.5  # msg_c, the first delivery after 110
    assert fault["caught_up_s"] == 2.5  # msg_b, owed for an article accepted before the end
    assert fault["owed_in_segment"] == 2
    assert fault["at_s"] == 10.0 and fault["lasted_s"] == 5.0


def test_a_webhook_id_delivered_twice_or_missing_fails() -> None:
    received = [
        Received("msg_a", 101.0, True, 200),
        Received("msg_a", 107.0, True, 200),
        Received("msg_b", 112.0, True, 200),
    ]
    result = summary(articles_in=3, owed=OWED, received=received, windows=[FAULT],
                     accepted_at=ACCEPTED, started=95.0)
    assert (result["duplicates"], result["lost"], result["lost_ids"]) == (1, 1, ["msg_c"])
    assert result["passed"] is False
    assert result["faults"]["receiver_down"]["caught_up_s"] == 2.0
    # the repeat came during the fault: that is where to look
    assert result["duplicate_ids"] == [
        {"webhook_id": "msg_a", "delivered_at_s": [6.0, 12.0], "after_fault": "receiver_down",
         "in_flight_at_kill": False}]
    assert result["resent_after_kill"] == 0


def test_a_send_answered_as_the_notifier_was_killed_may_come_again_once() -> None:
    kill = FaultWindow("kill_notifier", began=104.0, ended=106.0, struck=104.5)
    received = [
        Received("msg_a", 104.4, True, 200),  # answered; the notifier died before recording it
        Received("msg_b", 105.0, True, 200),
        Received("msg_c", 112.0, True, 200),
        Received("msg_a", 134.5, True, 200),  # sent again once its lease ended
    ]
    result = summary(articles_in=3, owed=OWED, received=received, windows=[kill],
                     accepted_at=ACCEPTED, started=95.0)
    assert (result["duplicates"], result["resent_after_kill"], result["lost"]) == (1, 1, 0)
    assert result["passed"] is True

    # answered long before the kill: it was written down, so a repeat is a fault
    early = [Received("msg_a", 101.0, True, 200), *received[1:]]
    result = summary(articles_in=3, owed=OWED, received=early, windows=[kill],
                     accepted_at=ACCEPTED, started=95.0)
    assert (result["duplicates"], result["resent_after_kill"]) == (1, 0)
    assert result["passed"] is False

    # a third copy is never explained by one kill
    thrice = [*received, Received("msg_a", 140.0, True, 200)]
    result = summary(articles_in=3, owed=OWED, received=thrice, windows=[kill],
                     accepted_at=ACCEPTED, started=95.0)
    assert result["resent_after_kill"] == 0 and result["passed"] is False


def test_an_unverified_or_refused_request_is_not_a_delivery() -> None:
    received = [
        Received("msg_a", 101.0, False, 200),  # bad signature
        Received("msg_b", 102.0, True, 503),
        Received("msg_c", 112.0, True, 200),
    ]
    result = summary(articles_in=3, owed=OWED, received=received, windows=[FAULT],
                     accepted_at=ACCEPTED, started=95.0)
    assert result["lost"] == 2 and result["unverified"] == 1 and not result["passed"]
    assert result["faults"]["receiver_down"]["caught_up_s"] is None


def test_nothing_owed_is_not_a_pass() -> None:
    result = summary(articles_in=0, owed={}, received=[], windows=[], accepted_at={},
                     started=0.0)
    assert result["passed"] is False


def test_a_fault_given_twice_is_reported_twice() -> None:
    again = FaultWindow("receiver_down", began=120.0, ended=121.0)
    received = [Received(wid, 125.0, True, 200) for wid in OWED]
    result = summary(articles_in=3, owed=OWED, received=received, windows=[FAULT, again],
                     accepted_at=ACCEPTED, started=95.0)
    assert list(result["faults"]) == ["receiver_down", "receiver_down_2"]
    assert result["faults"]["receiver_down_2"]["recovery_s"] == 4.0


def test_the_runs_on_a_single_redis_and_on_the_cluster_make_one_result() -> None:
    received = [Received(wid, 112.0, True, 200) for wid in OWED]
    single = summary(articles_in=3, owed=OWED, received=received, windows=[FAULT],
                     accepted_at=ACCEPTED, started=95.0)
    single |= {"load": {"rate_per_s": 20.0, "post_retries": 2, "not_accepted": 0,
                        "input_duplicates": 0}, "seconds": 20.0}
    failover = FaultWindow("failover_master", began=103.0, ended=106.0)
    cluster = summary(articles_in=3, owed=OWED, received=received[:2], windows=[failover],
                      accepted_at=ACCEPTED, started=95.0)
    cluster |= {"load": {"rate_per_s": 20.0, "post_retries": 5, "not_accepted": 1,
                         "input_duplicates": 0}, "seconds": 30.0, "worker_logs": "..."}

    result = combine({"single_redis": single, "cluster": cluster})
    assert (result["articles_in"], result["alerts_expected"]) == (6, 6)
    assert (result["delivered"], result["lost"], result["lost_ids"]) == (5, 1, ["msg_c"])
    assert list(result["faults"]) == ["receiver_down", "failover_master"]
    assert result["load"] == {"post_retries": 7, "not_accepted": 1, "input_duplicates": 0,
                              "rate_per_s": 20.0}
    assert result["runs"]["cluster"]["lost"] == 1 and result["runs"]["single_redis"]["lost"] == 0
    assert result["passed"] is False and result["worker_logs"] == {"cluster": "..."}
    assert result["seconds"] == 50.0
    assert combine({})["passed"] is False
