"""The local receiver's faults that the chaos suite injects: it can hang
(read, never answer) and go down and come back on the same port."""

from __future__ import annotations

import httpx
import pytest
from watchfloor.services.receiver import WebhookReceiver


def test_a_hanging_receiver_reads_but_never_answers_until_told(receiver: WebhookReceiver) -> None:
    receiver.hang()
    with pytest.raises(httpx.ReadTimeout):
        httpx.post(receiver.url(), json={"n": 1}, timeout=0.5)
    assert receiver.hung == 1 and receiver.delivered() == []
    receiver.answer()
    assert httpx.post(receiver.url(), json={"n": 2}, timeout=5).status_code == 200
    assert [r.json() for r in receiver.delivered()] == [{"n": 2}]


def test_a_stopped_receiver_refuses_then_answers_on_the_same_port(receiver: WebhookReceiver) -> None:
    url = receiver.url()
    with httpx.Client(timeout=5) as kept_alive:
        assert kept_alive.post(url, json={"n": 1}).status_code == 200
        receiver.stop()
        with pytest.raises(httpx.ConnectError):
            httpx.post(url, json={"n": 2}, timeout=5)
        receiver.start()
        # the connection kept alive across the stop is dropped unanswered, as
        # by a server that went away; a new one is answered
        with pytest.raises(httpx.HTTPError):
            kept_alive.post(url, json={"n": 3})
        assert kept_alive.post(url, json={"n": 4}).status_code == 200
    assert [r.json()["n"] for r in receiver.delivered()] == [1, 4]
