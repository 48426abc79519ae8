"""Email deliveries through the notifier's pipeline (real Redis) to a local
SMTP server (aiosmtpd) started by the test: what arrives, how SMTP answers
map to retry or give up, and the address guard on the SMTP host."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Iterator
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from watchfloor.services.notifier.delivery import OutcomeKind

from tests.integration.targets.local_servers import deliver_one
from tests.unit.notifier.factories import country, make_alert, tag


class Inbox:
    """An aiosmtpd handler: keeps what it is given, or answers ``reply``."""

    def __init__(self) -> None:
        self.messages: list[tuple[str, list[str], EmailMessage]] = []
        self.reply: str | None = None
        self.quit_delay_s = 0.0
        self.refuse: dict[str, str] = {}  # recipient -> its RCPT answer

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str,
                          rcpt_options: list[str]) -> str:
        if address in self.refuse:
            return self.refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.reply:
            return self.reply
        parsed = message_from_bytes(envelope.content, policy=policy.default)
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), parsed))
        return "250 OK"

    async def handle_QUIT(self, server: Any, session: Any, envelope: Any) -> str:
        await asyncio.sleep(self.quit_delay_s)
        return "221 Bye"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, int]]:
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield inbox, controller.port
    finally:
        controller.stop()


def email_target(port: int, **extra: Any) -> dict[str, Any]:
    return {"type": "email", "to": ["ops@example.org", "duty@example.org"],
            "from": "watchfloor@example.org", "host": "127.0.0.1", "port": port,
            "security": "none", **extra}


async def test_the_message_arrives_with_subject_recipients_and_bodies(
    redis_client, keys, settings, smtp
) -> None:
    inbox, port = smtp
    alert = make_alert(title="Drill <ends> & resumes", tags=[tag(confidence=0.8)],
                       actors=[country("KP", "North Korea")])
    delivery, outcome = await deliver_one(redis_client, keys, settings, email_target(port), alert)

    assert outcome.kind is OutcomeKind.DELIVERED and outcome.reason == "smtp_250"
    ((sender, recipients, message),) = inbox.messages
    assert sender == "watchfloor@example.org"
    assert recipients == ["ops@example.org", "duty@example.org"]
    assert message["Subject"] == "[Test watchlist] Drill <ends> & resumes"
    assert message["Message-ID"] == f"<{delivery.id}@watchfloor>"
    plain = message.get_body(("plain",)).get_content()
    rich = message.get_body(("html",)).get_content()
    assert "Drill <ends> & resumes" in plain and "North Korea" in plain
    assert "Drill &lt;ends&gt; &amp; resumes" in rich and "<ends>" not in rich


@pytest.mark.parametrize(
    ("reply", "kind", "reason"),
    [
        ("451 4.3.0 try again later", OutcomeKind.RETRY_SCHEDULED, "smtp_451"),
        ("554 5.7.1 rejected", OutcomeKind.FAILED, "permanent: smtp_554"),
    ],
)
async def test_4xx_is_retried_and_5xx_is_permanent(
    redis_client, keys, settings, smtp, reply: str, kind: OutcomeKind, reason: str
) -> None:
    inbox, port = smtp
    inbox.reply = reply
    _, outcome = await deliver_one(redis_client, keys, settings, email_target(port))
    assert (outcome.kind, outcome.reason) == (kind, reason)
    assert inbox.messages == []


async def test_starttls_asked_of_a_server_without_it_is_permanent(
    redis_client, keys, settings, smtp
) -> None:
    inbox, port = smtp
    _, outcome = await deliver_one(redis_client, keys, settings,
                               email_target(port, security="starttls"))
    assert (outcome.kind, outcome.reason) == (OutcomeKind.FAILED, "permanent: smtp_not_supported")
    assert inbox.messages == []


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost"])
async def test_the_address_guard_applies_to_the_smtp_host(
    redis_client, keys, settings, smtp, host: str
) -> None:
    inbox, port = smtp
    guarded = settings.model_copy(update={"target_allowlist": ""})
    assert not guarded.address_policy.allowed
    _, outcome = await deliver_one(redis_client, keys, guarded, email_target(port, host=host))
    assert (outcome.kind, outcome.reason) == (OutcomeKind.FAILED, "permanent: blocked_address")
    assert inbox.messages == []


async def test_a_server_that_is_not_there_is_retried(redis_client, keys, settings) -> None:
    _, outcome = await deliver_one(redis_client, keys, settings, email_target(free_port()))
    assert (outcome.kind, outcome.reason) == (OutcomeKind.RETRY_SCHEDULED, "connect_error")


async def test_a_message_taken_is_delivered_however_slowly_the_server_says_goodbye(
    redis_client, keys, settings, smtp
) -> None:
    # before: the QUIT after the 250 ran into the send's timeout, the delivery
    # was retried, and each retry sent the message again
    inbox, port = smtp
    inbox.quit_delay_s = settings.webhook_timeout_s + 1
    _, outcome = await deliver_one(redis_client, keys, settings, email_target(port))
    assert (outcome.kind, outcome.reason) == (OutcomeKind.DELIVERED, "smtp_250")
    assert len(inbox.messages) == 1


async def test_a_recipient_refused_for_now_gets_it_on_the_retry_and_the_others_once(
    redis_client, keys, settings, smtp
) -> None:
    # before: the others got it, the busy one never did, and it counted as delivered
    inbox, port = smtp
    inbox.refuse = {"duty@example.org": "450 4.2.1 mailbox busy"}
    _, outcome = await deliver_one(redis_client, keys, settings, email_target(port))
    assert (outcome.kind, outcome.reason) == (OutcomeKind.RETRY_SCHEDULED, "smtp_450")
    assert inbox.messages == []  # nobody yet: the retry reaches everyone once
    inbox.refuse = {}
    _, outcome = await deliver_one(redis_client, keys, settings, email_target(port))
    assert outcome.kind is OutcomeKind.DELIVERED
    assert [recipients for _, recipients, _ in inbox.messages] == [
        ["ops@example.org", "duty@example.org"]]


async def test_a_recipient_refused_for_good_is_logged_and_the_others_get_it(
    redis_client, keys, settings, smtp, capsys
) -> None:
    inbox, port = smtp
    inbox.refuse = {"duty@example.org": "550 5.1.1 no such user"}
    _, outcome = await deliver_one(redis_client, keys, settings, email_target(port))
    assert (outcome.kind, outcome.reason) == (OutcomeKind.DELIVERED, "smtp_partial")
    assert [recipients for _, recipients, _ in inbox.messages] == [["ops@example.org"]]
    logged = capsys.readouterr()
    assert "delivery_recipients_refused" in logged.out + logged.err
    assert "duty@example.org" in logged.out + logged.err
