"""The address guard's rules: which addresses are refused, in which notations,
and what the allow-list opens."""

from __future__ import annotations

import ipaddress

import aiohttp
import pytest
from pydantic import ValidationError
from watchfloor.shared.addresses import (
    AddressPolicy,
    BlockedAddress,
    blocked_cause,
    is_loopback_host,
    kind_of,
    literal_address,
    parse_allowlist,
)
from watchfloor.shared.settings import Settings

STRICT = AddressPolicy()

# (URL as a user might write it, the address it reaches, what kind it is)
REFUSED = [
    ("http://169.254.169.254/latest/meta-data/", "169.254.169.254", "link-local"),
    ("http://10.0.0.1/hook", "10.0.0.1", "private"),
    ("http://192.168.1.20:8080/", "192.168.1.20", "private"),
    ("http://172.16.5.4/", "172.16.5.4", "private"),
    ("http://127.0.0.1:6379/", "127.0.0.1", "loopback"),
    ("http://[::1]:6379/", "::1", "loopback"),
    ("http://[::ffff:169.254.169.254]/", "::ffff:169.254.169.254", "link-local"),
    ("http://[::ffff:7f00:1]/", "::ffff:127.0.0.1", "loopback"),
    ("http://2852039166/", "169.254.169.254", "link-local"),  # decimal
    ("http://0251.0376.0251.0376/", "169.254.169.254", "link-local"),  # octal
    ("http://0xa9fea9fe/", "169.254.169.254", "link-local"),  # hexadecimal
    ("http://0xa9.0xfe.0xa9.0xfe/", "169.254.169.254", "link-local"),
    ("http://017700000001/", "127.0.0.1", "loopback"),
    ("http://127.1/", "127.0.0.1", "loopback"),  # shortened
    ("http://127.0.0.1./", "127.0.0.1", "loopback"),  # trailing dot
    ("http://127.0.0.1../", "127.0.0.1", "loopback"),
    ("http://0/", "0.0.0.0", "unspecified"),
    ("http://[::]/", "::", "unspecified"),
    ("http://[fe80::1%25eth0]/", "fe80::1%eth0", "link-local"),
    ("http://[fd12:3456::1]/", "fd12:3456::1", "private"),
    ("http://[fec0::1]/", "fec0::1", "site-local"),
    ("http://224.0.0.251/", "224.0.0.251", "multicast"),
    ("http://[ff02::1]/", "ff02::1", "multicast"),
    ("http://240.0.0.1/", "240.0.0.1", "private"),  # reserved (ipaddress also calls it private)
    ("http://100.64.0.1/", "100.64.0.1", "non-public"),  # shared address space
    ("http://[2002:a9fe:a9fe::1]/", "2002:a9fe:a9fe::1", "link-local"),  # 6to4 of 169.254.169.254
    ("http://[64:ff9b::a9fe:a9fe]/", "64:ff9b::a9fe:a9fe", "reserved"),
    ("http://１２７.０.０.１/", "127.0.0.1", "loopback"),  # full-width digits
    ("http://127%2e0%2e0%2e1/", "127.0.0.1", "loopback"),  # percent-encoded dots
    ("https://user:pw@10.1.2.3/path?token=x", "10.1.2.3", "private"),
]


@pytest.mark.parametrize(("url", "address", "kind"), REFUSED)
def test_every_notation_of_a_non_public_address_is_refused(
    url: str, address: str, kind: str
) -> None:
    problem = STRICT.literal_refusal(url)
    assert problem is not None, url
    assert f"{address}" in problem and f" {kind} address" in problem
    assert "WATCHFLOOR_TARGET_ALLOWLIST" in problem
    assert "pw" not in problem and "token" not in problem  # only the address is shown


@pytest.mark.parametrize(
    "url",
    [
        "https://hooks.example.org/watch",
        "https://8.8.8.8/hook",
        "http://[2001:4860:4860::8888]/",
        "http://[::ffff:8.8.8.8]/",  # IPv4-mapped, but of a public address
        "http://localhost:8000/",  # a name: checked when connecting, not when saved
        "not a url",
    ],
)
def test_public_addresses_and_host_names_pass_at_save_time(url: str) -> None:
    assert STRICT.literal_refusal(url) is None


def test_the_allow_list_opens_exactly_its_ranges() -> None:
    policy = AddressPolicy(parse_allowlist("127.0.0.0/8, ::1/128"))
    assert policy.literal_refusal("http://127.0.0.1:9000/") is None
    assert policy.literal_refusal("http://127.1/") is None
    assert policy.literal_refusal("http://[::1]/") is None
    assert policy.literal_refusal("http://[::ffff:127.0.0.1]/") is None  # the same IPv4 endpoint
    assert policy.literal_refusal("http://10.0.0.1/") is not None
    assert policy.literal_refusal("http://169.254.169.254/") is not None
    one = AddressPolicy(parse_allowlist("127.0.0.2/32"))
    assert one.refusal(ipaddress.ip_address("127.0.0.2")) is None
    blocked = one.refusal(ipaddress.ip_address("127.0.0.1"))
    assert isinstance(blocked, BlockedAddress) and blocked.kind == "loopback"


def test_kind_of_public_and_embedded_addresses() -> None:
    assert kind_of(ipaddress.ip_address("93.184.216.34")) is None
    assert kind_of(ipaddress.ip_address("::ffff:93.184.216.34")) is None
    assert kind_of(ipaddress.ip_address("::ffff:10.0.0.1")) == "private"
    assert kind_of(ipaddress.ip_address("2001::a9fe:a9fe")) is not None  # Teredo range


def test_literal_address_recognises_only_addresses() -> None:
    assert literal_address("2852039166") == ipaddress.ip_address("169.254.169.254")
    assert literal_address("hooks.example.org") is None
    assert literal_address("localhost") is None
    assert literal_address("") is None


def test_allow_list_setting_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WATCHFLOOR_TARGET_ALLOWLIST", "127.0.0.0/8,::1/128, 10.1.0.0/16")
    settings = Settings(_env_file=None)
    assert [str(n) for n in settings.target_allowlist] == ["127.0.0.0/8", "::1/128", "10.1.0.0/16"]
    assert settings.address_policy.literal_refusal("http://10.1.2.3/") is None
    monkeypatch.setenv("WATCHFLOOR_TARGET_ALLOWLIST", "")
    assert Settings(_env_file=None).target_allowlist == ()
    monkeypatch.delenv("WATCHFLOOR_TARGET_ALLOWLIST")
    assert Settings(_env_file=None).target_allowlist == ()  # nothing opened by default


@pytest.mark.parametrize(
    ("value", "message"),
    [("10.0.0.5/8", "has host bits set"), ("localhost", "not a CIDR range"),
     ("127.0.0.0/33", "not a CIDR range")],
)
def test_a_bad_allow_list_names_the_entry(
    monkeypatch: pytest.MonkeyPatch, value: str, message: str
) -> None:
    monkeypatch.setenv("WATCHFLOOR_TARGET_ALLOWLIST", f"127.0.0.0/8,{value}")
    with pytest.raises(ValidationError) as caught:
        Settings(_env_file=None)
    assert value in str(caught.value) and message in str(caught.value)


@pytest.mark.parametrize(
    ("host", "loopback"),
    [("127.0.0.1", True), ("localhost", True), ("::1", True), ("[::1]", True),
     ("127.0.0.5", True), ("0.0.0.0", False), ("", False), ("::", False),
     ("10.0.0.4", False), ("api.example.org", False)],
)
def test_is_loopback_host(host: str, loopback: bool) -> None:
    assert is_loopback_host(host) is loopback


def test_blocked_cause_finds_the_refusal_inside_a_client_error() -> None:
    blocked = BlockedAddress(ipaddress.ip_address("10.0.0.1"), "private")
    try:
        try:
            raise blocked
        except OSError as exc:
            raise aiohttp.ClientConnectionError("wrapped") from exc
    except aiohttp.ClientError as wrapped:
        assert blocked_cause(wrapped) is blocked
    assert blocked_cause(ValueError("other")) is None
    # one message for every address: aiohttp keeps the type only then
    other = BlockedAddress(ipaddress.ip_address("::1"), "loopback")
    assert str(blocked) == str(other)
    assert blocked.describe().startswith("10.0.0.1, a private address, is refused")
