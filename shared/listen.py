"""Listening sockets for the HTTP servers a worker runs (the ingest API, health).

A port that cannot be taken is a one-line ``PortUnavailable`` naming the
setting to change, raised before anything else starts, instead of the
server's own traceback.
"""

from __future__ import annotations

import errno
import socket

from watchfloor.shared.errors import ConfigError


class PortUnavailable(ConfigError):
    """A configured host:port cannot be listened on (exit code 2)."""


def listen_socket(host: str, port: int, setting: str, backlog: int = 128) -> socket.socket:
    """A socket listening on ``host:port`` (port 0: a free one), or
    ``PortUnavailable`` naming ``setting`` (e.g. WATCHFLOOR_HTTP_PORT), or
    for a problem with the host, the host's (WATCHFLOOR_HTTP_HOST)."""
    host_setting = host_setting_of(setting)
    try:
        family, kind, proto, _, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )[0]
    except socket.gaierror as exc:
        raise PortUnavailable(
            f"cannot listen on {host}:{port} ({host_setting}): unknown host ({exc.strerror})"
        ) from None
    sock = socket.socket(family, kind, proto)
    try:
        # as asyncio and uvicorn do: a port in TIME_WAIT is free, one in use is not
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(backlog)
    except OSError as exc:
        sock.close()
        named = host_setting if exc.errno == errno.EADDRNOTAVAIL else setting
        raise PortUnavailable(f"cannot listen on {host}:{port} ({named}): {_why(exc, setting)}") from None
    sock.setblocking(False)
    return sock


def check_port_free(host: str, port: int, setting: str) -> None:
    """Raise ``PortUnavailable`` now if ``host:port`` is taken (0 is always free)."""
    if port:
        listen_socket(host, port, setting).close()


def host_setting_of(setting: str) -> str:
    """The host's setting beside a port's: WATCHFLOOR_HTTP_PORT -> WATCHFLOOR_HTTP_HOST."""
    return setting.removesuffix("_PORT") + "_HOST" if setting.endswith("_PORT") else setting


def _why(exc: OSError, setting: str) -> str:
    if exc.errno == errno.EADDRINUSE:
        return f"the port is in use (another Watchfloor process?); set {setting} to a free port"
    if exc.errno == errno.EADDRNOTAVAIL:
        return "the host is not an address of this machine"
    if exc.errno == errno.EACCES:
        return f"permission denied (ports below 1024 need privileges); set {setting} to another port"
    return exc.strerror or str(exc)
