"""What an SMTP answer or failure means for an email delivery."""

from __future__ import annotations

import ipaddress
import socket
import ssl

import aiosmtplib
import pytest
from watchfloor.services.notifier.policy import (
    DeliveryResult,
    Verdict,
    classify_smtp_exception,
)
from watchfloor.services.notifier.targets import HttpSendContext
from watchfloor.services.targets.base import MailServer
from watchfloor.shared.addresses import BlockedAddress


def refused(*codes: int) -> aiosmtplib.SMTPRecipientsRefused:
    return aiosmtplib.SMTPRecipientsRefused(
        [aiosmtplib.SMTPRecipientRefused(code, "no", f"r{n}@example.org")
         for n, code in enumerate(codes)]
    )


@pytest.mark.parametrize(
    ("exc", "verdict", "reason"),
    [
        (aiosmtplib.SMTPDataError(451, "try later"), Verdict.RETRY, "smtp_451"),
        (aiosmtplib.SMTPSenderRefused(421, "busy", "a@example.org"), Verdict.RETRY, "smtp_421"),
        (aiosmtplib.SMTPDataError(554, "rejected"), Verdict.GIVE_UP, "smtp_554"),
        (aiosmtplib.SMTPAuthenticationError(535, "bad credentials"), Verdict.GIVE_UP, "smtp_535"),
        (refused(550, 450), Verdict.RETRY, "smtp_450"),
        (refused(550, 553), Verdict.GIVE_UP, "smtp_553"),
        (aiosmtplib.SMTPException("SMTP STARTTLS extension not supported by server."),
         Verdict.GIVE_UP, "smtp_not_supported"),
        (aiosmtplib.SMTPReadTimeoutError("slow"), Verdict.RETRY, "timeout"),
        (TimeoutError(), Verdict.RETRY, "timeout"),
        (aiosmtplib.SMTPConnectError("refused"), Verdict.RETRY, "connect_error"),
        (ssl.SSLCertVerificationError("bad cert"), Verdict.RETRY, "connect_error"),
        (socket.gaierror("no such host"), Verdict.RETRY, "connect_error"),
        (aiosmtplib.SMTPServerDisconnected("gone"), Verdict.RETRY, "network_error"),
        (BlockedAddress(ipaddress.ip_address("10.0.0.1"), "private"),
         Verdict.GIVE_UP, "blocked_address"),
    ],
)
def test_smtp_failures_map_to_retry_or_give_up(
    exc: BaseException, verdict: Verdict, reason: str
) -> None:
    result = classify_smtp_exception(exc)
    assert (result.verdict, result.reason) == (verdict, reason)


async def test_a_client_without_a_mailer_gives_up_clearly() -> None:
    context = HttpSendContext(None, 0.0)  # type: ignore[arg-type]
    result = await context.send_mail(None, MailServer("smtp.example.org", 587, "starttls"))  # type: ignore[arg-type]
    assert result == DeliveryResult(Verdict.GIVE_UP, "no_mail_transport")


def test_the_mail_server_never_shows_its_password() -> None:
    assert "s3cret" not in repr(MailServer("h", 1, "tls", "u", "s3cret"))
