"""A port that cannot be listened on is one clear error naming the setting."""

from __future__ import annotations

import socket

import pytest
from watchfloor.shared.errors import ConfigError
from watchfloor.shared.listen import PortUnavailable, check_port_free, listen_socket


@pytest.fixture
def busy_port():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        yield taken.getsockname()[1]


def test_a_port_in_use_names_the_setting_to_change(busy_port):
    with pytest.raises(PortUnavailable) as caught:
        check_port_free("127.0.0.1", busy_port, "WATCHFLOOR_HTTP_PORT")
    assert isinstance(caught.value, ConfigError)  # the CLI: message and exit 2
    assert str(caught.value) == (
        f"cannot listen on 127.0.0.1:{busy_port} (WATCHFLOOR_HTTP_PORT): the port is in use "
        "(another Watchfloor process?); set WATCHFLOOR_HTTP_PORT to a free port")


def test_an_address_not_of_this_machine_is_said_so():
    with pytest.raises(PortUnavailable, match="not an address of this machine"):
        check_port_free("192.0.2.1", 8080, "WATCHFLOOR_HTTP_PORT")  # TEST-NET-1


def test_port_0_is_a_free_port():
    check_port_free("127.0.0.1", 0, "WATCHFLOOR_HEALTH_PORT")
    sock = listen_socket("127.0.0.1", 0, "WATCHFLOOR_HEALTH_PORT")
    try:
        assert sock.getsockname()[1] > 0
    finally:
        sock.close()
