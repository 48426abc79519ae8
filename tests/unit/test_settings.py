"""Settings: environment parsing and secrets kept out of repr."""

from __future__ import annotations

import pytest
from pydantic import ValidationError
from watchfloor.shared.settings import Settings


def test_retry_schedule_from_a_comma_list_or_json():
    assert Settings(_env_file=None, retry_schedule_s="1, 5,30").retry_schedule_s == [1, 5, 30]
    assert Settings(_env_file=None, retry_schedule_s="[2, 4]").retry_schedule_s == [2, 4]


def test_environment_variables_use_the_watchfloor_prefix(monkeypatch):
    monkeypatch.setenv("WATCHFLOOR_BATCH_SIZE", "7")
    monkeypatch.setenv("WATCHFLOOR_RETRY_SCHEDULE_S", "0.5,1")
    settings = Settings(_env_file=None)
    assert settings.batch_size == 7
    assert settings.retry_schedule_s == [0.5, 1.0]


def test_redis_password_never_shows_in_repr():
    settings = Settings(_env_file=None, redis_url="redis://:hunter2@db.internal:6379/0")
    assert "hunter2" not in repr(settings)
    assert "hunter2" not in str(settings.model_dump())
    assert settings.resolved_redis_url == "redis://:hunter2@db.internal:6379/0"


@pytest.mark.parametrize(("url", "message"), [
    # a password with a "/" (as openssl rand -base64 gives) was partly printed
    ("redis://:Sup3r/Secr3t+pw@127.0.0.1:6390/0", "must be percent-encoded"),
    ("redis://127.0.0.1:99999/0", "port must be a number up to 65535"),
    ("redis://127.0.0.1:6390/0?foo=bar", "query parameter 'foo'"),
    ("http://127.0.0.1:6390/", "must start with redis://"),
])
def test_an_unusable_redis_url_is_refused_without_quoting_it(url: str, message: str) -> None:
    with pytest.raises(ValidationError) as caught:
        Settings(_env_file=None, redis_url=url)
    text = str(caught.value)
    assert message in text and "Secr3t" not in text and "Sup3r" not in text


def test_usable_redis_urls_are_accepted() -> None:
    for url in ("redis://:Sup3r%2FSecr3t@127.0.0.1:6390/0", "rediss://h:6380/0?ssl_cert_reqs=none",
                "unix:///tmp/redis.sock?db=1", "redis://127.0.0.1:6379/0?password=x"):
        assert Settings(_env_file=None, redis_url=url).resolved_redis_url == url


def test_an_api_token_is_stripped_and_a_blank_one_refused(monkeypatch) -> None:
    monkeypatch.setenv("WATCHFLOOR_API_TOKEN", "wf-token-0123456789abcdef\n")
    assert Settings(_env_file=None).api_token.get_secret_value() == "wf-token-0123456789abcdef"
    # blank: once a token no request matched; read as "none" it would open the API
    for blank in ("", "   "):
        monkeypatch.setenv("WATCHFLOOR_API_TOKEN", blank)
        with pytest.raises(ValidationError, match="is blank: give a token, or unset it"):
            Settings(_env_file=None)


@pytest.mark.parametrize("schedule", ["1,nan", "1,inf", "-5,1", "", "  "])
def test_a_retry_schedule_that_would_lose_or_strand_a_delivery_is_refused(schedule, monkeypatch):
    """A nan wait could not be scheduled (the delivery was acknowledged and
    lost), an inf one never came due, a negative one and an empty list are
    typos: each is refused, naming the setting."""
    monkeypatch.setenv("WATCHFLOOR_RETRY_SCHEDULE_S", schedule)
    with pytest.raises(ValidationError) as info:
        Settings(_env_file=None)
    assert "retry_schedule_s" in str(info.value)


@pytest.mark.parametrize("name", ["WATCHFLOOR_WEBHOOK_TIMEOUT_S", "WATCHFLOOR_GRACEFUL_TIMEOUT_S"])
@pytest.mark.parametrize("value", ["nan", "inf"])
def test_no_setting_takes_nan_or_inf(name, value, monkeypatch):
    monkeypatch.setenv(name, value)
    with pytest.raises(ValidationError):
        Settings(_env_file=None)


@pytest.mark.parametrize("value", ["10.0.0.0/33", "garbage!", "10.0.0.1/8", "127.0.0.1,proxy.local",
                                   "*,10.0.0.0/8"])
def test_trusted_proxies_that_uvicorn_would_read_as_no_client_are_refused(value, monkeypatch):
    monkeypatch.setenv("WATCHFLOOR_TRUSTED_PROXIES", value)
    with pytest.raises(ValidationError) as info:
        Settings(_env_file=None)
    assert "is not an address, a network" in str(info.value) or "give it alone" in str(info.value)


def test_a_refused_trusted_proxies_names_its_variable_once(monkeypatch, capsys):
    from watchfloor.services.cli.main import main

    monkeypatch.setenv("WATCHFLOOR_TRUSTED_PROXIES", "proxy.local")
    assert main(["status"]) == 2
    err = capsys.readouterr().err
    assert "invalid settings: WATCHFLOOR_TRUSTED_PROXIES: 'proxy.local'" in err


@pytest.mark.parametrize(("value", "read"), [
    ("*", "*"), ("* ", "*"), ("*,", "*"),  # uvicorn trusts all only for exactly "*"
    ("127.0.0.1, 10.0.0.0/8", "127.0.0.1,10.0.0.0/8"), ("::1,fd00::/8", "::1,fd00::/8")])
def test_trusted_proxies_as_addresses_networks_or_star(value, read, monkeypatch):
    monkeypatch.setenv("WATCHFLOOR_TRUSTED_PROXIES", value)
    assert Settings(_env_file=None).trusted_proxies == read


def test_api_host_names_from_a_comma_list(monkeypatch):
    monkeypatch.setenv("WATCHFLOOR_API_HOST_NAMES", "Watchfloor.Example.org., desk.example ")
    assert Settings(_env_file=None).api_host_names == ("watchfloor.example.org", "desk.example")


@pytest.mark.parametrize("entry", ["watchfloor.example.org:8443", "https://desk.example/"])
def test_an_api_host_name_with_a_port_or_scheme_is_refused(monkeypatch, entry):
    # accepted, it never matched the Host header's bare name
    monkeypatch.setenv("WATCHFLOOR_API_HOST_NAMES", entry)
    with pytest.raises(ValidationError, match="not a host name"):
        Settings(_env_file=None)
