"""The record of an embedded Redis (`<data dir>/redis.url`) and who reads it."""

from __future__ import annotations

import argparse
import stat

import pytest
from watchfloor.services.cli.common import settings_from_args
from watchfloor.services.cli.redis_record import (
    read_record,
    record_path,
    remove_record,
    write_record,
)


def test_written_for_the_owner_only_and_read_back(tmp_path):
    path = write_record(tmp_path / "data", "redis://127.0.0.1:41234/0")
    assert path == tmp_path / "data" / "redis.url"
    assert read_record(tmp_path / "data") == "redis://127.0.0.1:41234/0"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_removed_only_by_the_process_whose_url_it_names(tmp_path):
    write_record(tmp_path, "redis://127.0.0.1:1111/0")
    write_record(tmp_path, "redis://127.0.0.1:2222/0")  # a later `up` on the same folder
    remove_record(tmp_path, "redis://127.0.0.1:1111/0")
    assert read_record(tmp_path) == "redis://127.0.0.1:2222/0"
    remove_record(tmp_path, "redis://127.0.0.1:2222/0")
    assert not record_path(tmp_path).exists() and read_record(tmp_path) is None


@pytest.fixture
def no_redis_configured(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)  # no .env
    monkeypatch.delenv("WATCHFLOOR_REDIS_URL", raising=False)
    monkeypatch.setenv("WATCHFLOOR_DATA_DIR", str(tmp_path / "data"))
    return tmp_path / "data"


def test_without_url_or_record_the_default_is_used_silently(no_redis_configured, capsys):
    settings = settings_from_args(argparse.Namespace(command="status", redis_url=None))
    assert settings.resolved_redis_url == "redis://127.0.0.1:6379/0"
    assert capsys.readouterr().err == ""


@pytest.mark.parametrize("command", ["up", "demo"])
def test_commands_that_start_their_own_redis_do_not_look_it_up(no_redis_configured, command):
    write_record(no_redis_configured, "redis://127.0.0.1:1/0")
    settings = settings_from_args(argparse.Namespace(command=command, redis_url=None))
    assert settings.redis_url is None  # embedded_redis_if_needed decides


def test_a_configured_url_wins_over_the_record(no_redis_configured, monkeypatch, capsys):
    write_record(no_redis_configured, "redis://127.0.0.1:1/0")
    monkeypatch.setenv("WATCHFLOOR_REDIS_URL", "redis://db.internal:6379/2")
    settings = settings_from_args(argparse.Namespace(command="status", redis_url=None))
    assert settings.resolved_redis_url == "redis://db.internal:6379/2"
    flagged = settings_from_args(argparse.Namespace(command="status",
                                                    redis_url="redis://other:6379/0"))
    assert flagged.resolved_redis_url == "redis://other:6379/0"
    assert capsys.readouterr().err == ""


def test_a_recorded_redis_that_does_not_answer_is_an_error_not_a_fallback(
        no_redis_configured, capsys):
    from watchfloor.services.cli.main import main
    from watchfloor.shared.redis_server import free_port

    url = f"redis://127.0.0.1:{free_port()}/0"
    write_record(no_redis_configured, url)
    assert main(["status"]) == 2
    said, error = capsys.readouterr().err.splitlines()
    path = no_redis_configured / "redis.url"
    assert said == (f"watchfloor: WATCHFLOOR_REDIS_URL is unset: using {url}, "
                    f"recorded by `watchfloor up` in {path}")
    assert error.startswith(f"watchfloor: error: cannot reach Redis at {url}")
    assert f"delete {path} to use redis://127.0.0.1:6379/0" in error
