"""The notifier's way out for mail: one SMTP send per attempt, with aiosmtplib.

``Mailer(policy, timeout_s).send(message, server)`` connects to the server
itself, under the same address guard as the HTTP client (``shared.egress``:
every resolved address is judged, a host left with none fails with
``BlockedAddress``), then hands the connected socket to aiosmtplib, which
speaks SMTP, STARTTLS or implicit TLS (certificates checked against the host
name) and AUTH. The whole send, connecting included, is bounded by
``timeout_s`` (the notifier's ``webhook_timeout_s``: the delivery lease is
sized from it). What an answer or a failure means is ``policy``'s SMTP table.
"""

from __future__ import annotations

import asyncio
import socket
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any

import aiosmtplib
from watchfloor.services.notifier.policy import (
    SMTP_SEND_ERRORS,
    DeliveryResult,
    Verdict,
    classify_smtp_exception,
)
from watchfloor.services.targets.base import MailServer
from watchfloor.shared.addresses import AddressPolicy, BlockedAddress
from watchfloor.shared.egress import guarded_socket_factory
from watchfloor.shared.logging import get_logger

log = get_logger("watchfloor.notifier")


@dataclass(frozen=True)
class Mailer:
    policy: AddressPolicy
    timeout_s: float

    async def send(self, message: EmailMessage, server: MailServer) -> DeliveryResult:
        sock: socket.socket | None = None
        client: aiosmtplib.SMTP | None = None
        deadline = asyncio.get_running_loop().time() + self.timeout_s
        try:
            async with asyncio.timeout_at(deadline):
                sock = await _connect(server, self.policy)
                client = _AllOrNoneSMTP(
                    hostname=server.host,  # TLS checks the certificate against it
                    sock=sock,
                    port=None,
                    use_tls=server.security == "tls",
                    start_tls=server.security == "starttls",
                    username=server.username,
                    password=server.password,
                    timeout=self.timeout_s,
                )
                await client.connect()
                refused, _ = await client.send_message(message)
        except SMTP_SEND_ERRORS as exc:
            _close(client, sock)
            return classify_smtp_exception(exc)
        except BaseException:
            _close(client, sock)
            raise
        # The server took it (250 to DATA): delivered, whatever QUIT does. A
        # slow or failed QUIT counted as a timeout before, and each retry
        # sent the message again.
        await _quit(client, deadline)
        _close(client, sock)
        if refused:
            # Only permanent refusals get here (a temporary one sends to
            # nobody, and is retried): sending again would repeat it to the rest.
            log.warning("delivery_recipients_refused", host=server.host,
                        refused={address: reply.code for address, reply in refused.items()})
            return DeliveryResult(Verdict.DELIVERED, "smtp_partial")
        return DeliveryResult(Verdict.DELIVERED, "smtp_250")


class _AllOrNoneSMTP(aiosmtplib.SMTP):
    """A recipient refused for now (4xx: mailbox busy, greylisting) ends the
    send before DATA, so nobody gets it and the retry reaches everyone once;
    otherwise the accepted would get it now and the refused never."""

    async def _send_recipients(self, recipients: Any, *args: Any, **kwargs: Any) -> Any:
        refused = await super()._send_recipients(recipients, *args, **kwargs)
        transient = [
            aiosmtplib.SMTPRecipientRefused(reply.code, reply.message, address)
            for address, reply in refused.items() if 400 <= reply.code < 500
        ]
        if transient:
            raise aiosmtplib.SMTPRecipientsRefused(transient)  # aiosmtplib then sends RSET
        return refused


async def _quit(client: aiosmtplib.SMTP, deadline: float) -> None:
    """Say goodbye within what is left of the send's time; its answer no
    longer matters."""
    try:
        async with asyncio.timeout_at(deadline):
            await client.quit()
    except (TimeoutError, *SMTP_SEND_ERRORS):
        pass


def _close(client: aiosmtplib.SMTP | None, sock: socket.socket | None) -> None:
    if client is not None:
        client.close()
    if sock is not None:
        sock.close()


async def _connect(server: MailServer, policy: AddressPolicy) -> socket.socket:
    try:
        return await guarded_connect(server.host, server.port, policy)
    except BlockedAddress:
        raise
    except OSError as exc:  # refused, unreachable, no such host: a connect error
        raise aiosmtplib.SMTPConnectError(f"cannot connect to the SMTP server: {exc}") from exc


async def guarded_connect(host: str, port: int, policy: AddressPolicy) -> socket.socket:
    """A connected non-blocking socket to ``host``: its addresses in DNS order,
    each made by the guard's socket factory (which refuses one the policy
    refuses); ``BlockedAddress`` when every address is refused."""
    loop = asyncio.get_running_loop()
    infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    make_socket = guarded_socket_factory(policy)
    failure: OSError | None = None
    for info in infos:
        try:
            sock = make_socket(info)
        except BlockedAddress as refused:
            failure = failure or refused
            continue
        sock.setblocking(False)
        try:
            await loop.sock_connect(sock, info[4])
        except OSError as exc:
            sock.close()
            failure = exc if failure is None or isinstance(failure, BlockedAddress) else failure
            continue
        except BaseException:
            sock.close()
            raise
        return sock
    if failure is None:
        failure = OSError(f"{host} has no address")
    raise failure

