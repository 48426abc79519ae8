"""Which network addresses Watchfloor may reach on someone else's behalf.

Targets (webhooks, Slack), feeds and pages are URLs that users give us.
Without a guard, the notifier and the ingest worker would POST to or fetch
anything they can reach: the cloud metadata service (169.254.169.254), Redis
on loopback, services on private ranges (server-side request forgery). So an
address is refused when it is not public, as ``ipaddress`` classifies it:

==============  =============================================================
loopback        127.0.0.0/8, ::1
private         10/8, 172.16/12, 192.168/16, fc00::/7 (and what ``ipaddress``
                counts as private: 198.18/15, 0/8, ...)
link-local      169.254/16, fe80::/10
multicast       224/4, ff00::/8
unspecified     0.0.0.0, ::
reserved        240/4, ::/8, ...
site-local      fec0::/10
non-public      anything else not globally reachable (shared 100.64/10, ...)
==============  =============================================================

An IPv6 address carrying an IPv4 one (IPv4-mapped ``::ffff:a.b.c.d``, 6to4,
Teredo) is judged by the IPv4 address too. ``AddressPolicy.allowed`` (the
setting ``WATCHFLOOR_TARGET_ALLOWLIST``, CIDR ranges) opens ranges again:
the tests and the demo open loopback for their local receivers.

The check happens twice:

- when a URL is saved (a watchlist target, a feeds-file entry): a host that
  is a literal address, in any notation the system resolver takes as one
  (``2852039166``, ``0251.0376.0251.0376``, ``0xa9fea9fe``, ``127.1``,
  ``[::ffff:169.254.169.254]``, a trailing dot), is refused with a message
  naming what kind of address it is (``literal_refusal``). A host name is
  left to connect time: its DNS answer may change.
- on every connection, on the address actually resolved, redirects included
  (``shared.egress`` hooks this into the HTTP clients).
"""

from __future__ import annotations

import ipaddress
import socket
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

from watchfloor.shared.errors import InvalidInput

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network

ALLOWLIST_SETTING = "WATCHFLOOR_TARGET_ALLOWLIST"
_HOW_TO_ALLOW = f"add its range to {ALLOWLIST_SETTING} to allow it"


class BlockedAddress(InvalidInput, OSError):
    """A connection to a non-public address the allow-list does not open.

    An ``OSError`` too, so that connection code treats it as a failed
    connection attempt (and tries the host's next address, if any). Its
    ``str`` is the same for every address: aiohttp keeps the exception's type
    only when all the addresses of a host fail with the same message. The
    details are ``address``, ``kind`` and ``describe()``.
    """

    MESSAGE = (
        "blocked_address: the address is not public (loopback, private, link-local, "
        f"multicast or reserved) and {ALLOWLIST_SETTING} does not allow it"
    )

    def __init__(self, address: Address, kind: str) -> None:
        super().__init__(self.MESSAGE)
        self.address = address
        self.kind = kind

    def what(self) -> str:
        """``"127.0.0.1, a loopback address"``; an IPv6 address carrying an
        IPv4 one names both (``::ffff:169.254.169.254``)."""
        shown = str(self.address)
        if isinstance(self.address, ipaddress.IPv6Address):
            embedded = _embedded_ipv4(self.address)
            if self.address.ipv4_mapped is not None:
                shown = f"::ffff:{embedded}"
            elif embedded is not None and kind_of(embedded) is not None:
                shown = f"{self.address} (carrying {embedded})"
        return f"{shown}, {_article(self.kind)} {self.kind} address"

    def describe(self) -> str:
        """``"127.0.0.1, a loopback address, is refused (add its range to ...)"``."""
        return f"{self.what()}, is refused ({_HOW_TO_ALLOW})"


def _article(word: str) -> str:
    return "an" if word[0] in "aeiou" else "a"


# --- classification -------------------------------------------------------------


def kind_of(address: Address) -> str | None:
    """What makes ``address`` non-public ("loopback", "private", ...), or None
    when it is a public address."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = _embedded_ipv4(address)
        if embedded is not None:
            inner = kind_of(embedded)
            if inner is not None:
                return inner
        if address.ipv4_mapped is not None:
            return None  # judged by its IPv4 address alone
        if address.is_site_local:
            return "site-local"
    checks = (
        ("unspecified", address.is_unspecified),
        ("loopback", address.is_loopback),
        ("link-local", address.is_link_local),
        ("multicast", address.is_multicast),
        ("private", address.is_private),
        ("reserved", address.is_reserved),
        ("non-public", not address.is_global),
    )
    return next((kind for kind, hit in checks if hit), None)


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 one carries (mapped, 6to4, Teredo client), if any."""
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]
    return None


def parse_address(value: str) -> Address:
    """An address as a connection reports it (may carry an IPv6 ``%scope``)."""
    return ipaddress.ip_address(value)


def literal_address(host: str) -> Address | None:
    """The address ``host`` (a URL's host, brackets removed) stands for when it
    is written as an address in any notation, or None for a host name.

    The system resolver is asked with ``AI_NUMERICHOST`` (no DNS query): it
    is what the HTTP clients use, so every form it takes as an address
    (decimal, octal, hexadecimal, shortened IPv4, IPv6 with a zone) is
    recognised exactly as it would be connected to.
    """
    host = unicodedata.normalize("NFKC", unquote(host)).strip().rstrip(".")
    if not host:
        return None
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, None, flags=socket.AI_NUMERICHOST,
                                   type=socket.SOCK_STREAM)
    except (OSError, UnicodeError, ValueError):
        return None
    return parse_address(str(infos[0][4][0])) if infos else None


def is_loopback_host(host: str) -> bool:
    """True for ``localhost`` and literal loopback addresses (where a server
    listens only for this machine)."""
    if host.strip().rstrip(".").lower() == "localhost":
        return True
    address = literal_address(host.strip("[]"))
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address is not None and address.is_loopback


# --- the allow-list -------------------------------------------------------------


def parse_allowlist(value: str | Iterable[str | Network]) -> tuple[Network, ...]:
    """CIDR ranges from ``"127.0.0.0/8, ::1/128"`` (or a list); a bare address
    is its own /32 or /128. ValueError names the entry that is not a range."""
    items = value.split(",") if isinstance(value, str) else list(value)
    networks: list[Network] = []
    for item in items:
        if isinstance(item, ipaddress.IPv4Network | ipaddress.IPv6Network):
            networks.append(item)
            continue
        text = str(item).strip()
        if not text:
            continue
        try:
            networks.append(ipaddress.ip_network(text))
        except ValueError as exc:
            raise ValueError(
                f"{text!r} is not a CIDR range such as 127.0.0.0/8 or ::1/128 ({exc})"
            ) from None
    return tuple(networks)


@dataclass(frozen=True)
class AddressPolicy:
    """Non-public addresses are refused unless a range in ``allowed`` holds them.
    The default (nothing allowed) is the safe one."""

    allowed: tuple[Network, ...] = ()

    def is_allowed(self, address: Address) -> bool:
        candidates: list[Address] = [address]
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
            candidates.append(address.ipv4_mapped)  # the same IPv4 endpoint
        return any(
            candidate.version == network.version and candidate in network
            for candidate in candidates
            for network in self.allowed
        )

    def refusal(self, address: Address) -> BlockedAddress | None:
        """The error for connecting to ``address``, or None when it may be reached."""
        kind = kind_of(address)
        if kind is None or self.is_allowed(address):
            return None
        return BlockedAddress(address, kind)

    def check(self, address: Address) -> None:
        blocked = self.refusal(address)
        if blocked is not None:
            raise blocked

    def literal_refusal(self, url: str) -> str | None:
        """Why ``url`` is refused at save time (its host is a literal address
        that may not be reached), or None. Never echoes more of the URL than
        its address: the rest may be a credential."""
        try:
            host = urlsplit(url).hostname
        except ValueError:
            return None
        address = literal_address(host) if host else None
        if address is None:
            return None
        blocked = self.refusal(address)
        if blocked is None:
            return None
        return f"is refused: it points at {blocked.what()} ({_HOW_TO_ALLOW})"


def blocked_cause(exc: BaseException | None) -> BlockedAddress | None:
    """The ``BlockedAddress`` behind ``exc`` (an HTTP client wraps it in its
    own connection error), or None."""
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        if isinstance(exc, BlockedAddress):
            return exc
        seen.add(id(exc))
        inner = getattr(exc, "os_error", None)  # aiohttp's ClientConnectorError
        if isinstance(inner, BlockedAddress):
            return inner
        exc = exc.__cause__ or exc.__context__
    return None
