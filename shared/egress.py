"""The connect-time half of the address guard (``shared.addresses``), hooked
into the two HTTP clients Watchfloor sends and fetches with.

Every connection is judged on the address it actually goes to, after DNS,
so a host name that resolves to 127.0.0.1, a decimal or IPv4-mapped
spelling, a DNS answer that changed since the URL was saved, or a redirect
to an internal address are all caught in the same place.

- aiohttp (the notifier's deliveries): ``aiohttp_guard(policy)`` gives the
  ``TCPConnector`` arguments: a resolver that drops refused addresses from
  every DNS answer (a name with no address left fails with
  ``BlockedAddress``), and a ``socket_factory``, aiohttp's hook that sees the
  address of every socket before it connects (literal addresses skip the
  resolver). The connection error aiohttp raises carries the
  ``BlockedAddress`` (``addresses.blocked_cause``).
- httpx (feeds and pages): ``GuardedAsyncTransport`` adds httpcore's
  ``trace`` extension to every request, redirects included: before a TCP
  connection is opened its host is checked (a literal address as it is, a
  name by resolving it: refused when no address is left), and once it is
  open, the peer address it reached is checked before a byte is sent. The
  request then fails with ``BlockedAddress`` itself.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
import httpx
from aiohttp.abc import AbstractResolver, ResolveResult
from watchfloor.shared.addresses import (
    AddressPolicy,
    BlockedAddress,
    literal_address,
    parse_address,
)

# --- aiohttp --------------------------------------------------------------------


class GuardedResolver(AbstractResolver):
    """aiohttp's threaded resolver, with refused addresses dropped."""

    def __init__(self, policy: AddressPolicy) -> None:
        self._policy = policy
        self._inner = aiohttp.ThreadedResolver()

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        answers = await self._inner.resolve(host, port, family)
        kept: list[ResolveResult] = []
        first_refusal: BlockedAddress | None = None
        for answer in answers:
            refusal = self._policy.refusal(parse_address(answer["host"]))
            if refusal is None:
                kept.append(answer)
            elif first_refusal is None:
                first_refusal = refusal
        if not kept and first_refusal is not None:
            raise first_refusal
        return kept

    async def close(self) -> None:
        await self._inner.close()


def guarded_socket_factory(policy: AddressPolicy) -> Callable[[Any], socket.socket]:
    """aiohttp's ``socket_factory``: called with each ``getaddrinfo`` tuple
    before the socket connects; raises ``BlockedAddress`` for a refused one."""

    def make_socket(addr_info: Any) -> socket.socket:
        family, type_, proto, _, sockaddr = addr_info
        policy.check(parse_address(str(sockaddr[0])))
        return socket.socket(family=family, type=type_, proto=proto)

    return make_socket


def aiohttp_guard(policy: AddressPolicy) -> dict[str, Any]:
    """Keyword arguments for ``aiohttp.TCPConnector`` that apply ``policy``."""
    return {"resolver": GuardedResolver(policy), "socket_factory": guarded_socket_factory(policy)}


# --- httpx ----------------------------------------------------------------------

Trace = Callable[[str, dict[str, Any]], Awaitable[None]]


class GuardedAsyncTransport(httpx.AsyncHTTPTransport):
    """``httpx.AsyncHTTPTransport`` that refuses connections ``policy`` refuses.

    Takes the same arguments as ``httpx.AsyncHTTPTransport`` (no proxy: a
    proxy would resolve and connect on our behalf, out of the guard's sight).
    """

    def __init__(self, policy: AddressPolicy, **kwargs: Any) -> None:
        if kwargs.get("proxy") is not None:
            raise ValueError("a guarded transport connects directly: no proxy")
        super().__init__(**kwargs)
        self._policy = policy

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        port = request.url.port  # httpx takes 70000, and the socket fails in a task group
        if port is not None and not 0 < port < 65536:
            raise httpx.InvalidURL(f"port {port} is out of range (1-65535)")
        current = request.extensions.get("trace")
        if not getattr(current, "_address_guard", False):
            # A redirect copies the extensions: the guard is added once.
            request.extensions = {**request.extensions, "trace": self._trace(current)}
        return await super().handle_async_request(request)

    def _trace(self, inner: Trace | None) -> Trace:
        policy = self._policy

        async def trace(event: str, info: dict[str, Any]) -> None:
            if event == "connection.connect_tcp.started":
                await _check_host(policy, str(info["host"]), int(info["port"]))
            elif event == "connection.connect_tcp.complete":
                stream = info["return_value"]
                peer = stream.get_extra_info("server_addr")
                if peer:
                    refusal = policy.refusal(parse_address(str(peer[0])))
                    if refusal is not None:
                        await stream.aclose()
                        raise refusal
            if inner is not None:
                await inner(event, info)

        trace._address_guard = True  # type: ignore[attr-defined]
        return trace


async def _check_host(policy: AddressPolicy, host: str, port: int) -> None:
    """Before connecting: a literal address as it is; a name resolved, and
    refused when none of its addresses may be reached. (A name that does not
    resolve is left to the connection attempt, which reports it.)"""
    literal = literal_address(host)
    if literal is not None:
        policy.check(literal)
        return
    try:
        answers = await asyncio.get_running_loop().getaddrinfo(
            host, port, type=socket.SOCK_STREAM
        )
    except (OSError, UnicodeError):
        return
    refusals = [policy.refusal(parse_address(str(a[4][0]))) for a in answers]
    if refusals and all(refusals):
        raise refusals[0]  # type: ignore[misc]
