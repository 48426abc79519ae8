"""Errors a user can trigger from the command line get a clear message and exit 2."""

from __future__ import annotations

import argparse

import pytest
from watchfloor.services.cli import main as cli_main
from watchfloor.services.cli.common import RedisUnavailable, SettingsProblem
from watchfloor.services.cli.main import main
from watchfloor.shared.errors import ConfigError, WatchfloorError
from watchfloor.shared.redis_server import free_port


def free_port_url(password: str | None = None) -> str:
    """A Redis URL on a loopback port nothing listens on."""
    auth = f":{password}@" if password else ""
    return f"redis://{auth}127.0.0.1:{free_port()}/0"


def test_invalid_setting_names_the_variable(monkeypatch, capsys):
    monkeypatch.setenv("WATCHFLOOR_BATCH_SIZE", "0")
    assert main(["status"]) == 2
    err = capsys.readouterr().err
    assert "WATCHFLOOR_BATCH_SIZE" in err and "greater than or equal to 1" in err


def test_unreachable_redis_is_named_without_its_password(capsys):
    url = free_port_url(password="s3cret")
    assert main(["status", "--redis-url", url]) == 2
    err = capsys.readouterr().err
    assert "cannot reach Redis at" in err
    assert "s3cret" not in err and "***" in err


def test_worker_refuses_to_start_without_redis(capsys):
    assert main(["worker", "classifier", "--redis-url", free_port_url()]) == 2
    assert "cannot reach Redis" in capsys.readouterr().err


def test_unknown_worker_name_is_refused(capsys):
    try:
        main(["worker", "publisher"])
    except SystemExit as exc:
        assert exc.code == 2
    assert "invalid choice: 'publisher'" in capsys.readouterr().err


def test_missing_watchlists_file_is_named(monkeypatch, capsys, tmp_path):
    monkeypatch.setenv("WATCHFLOOR_WATCHLISTS_FILE", str(tmp_path / "nope.yaml"))
    assert main(["worker", "notifier", "--redis-url", free_port_url()]) == 2
    err = capsys.readouterr().err
    assert "nope.yaml: cannot read" in err and "Traceback" not in err


def test_unknown_tag_in_watchlists_names_file_line_and_known_tags(monkeypatch, capsys, tmp_path):
    path = tmp_path / "watchlists.yaml"
    path.write_text("watchlists:\n  - id: x\n    name: y\n    match: {tags_any: [missle_test]}\n")
    monkeypatch.setenv("WATCHFLOOR_WATCHLISTS_FILE", str(path))
    assert main(["worker", "notifier", "--redis-url", free_port_url()]) == 2
    err = capsys.readouterr().err
    assert "watchlist 'x' (line 4)" in err and "unknown tag 'missle_test'" in err
    assert "missile_test" in err


def test_broken_taxonomy_is_reported_with_its_line(monkeypatch, capsys, tmp_path):
    path = tmp_path / "taxonomy.yaml"
    path.write_text("version: x\ntags: {}\n")
    monkeypatch.setenv("WATCHFLOOR_TAXONOMY_FILE", str(path))
    assert main(["worker", "classifier", "--redis-url", free_port_url()]) == 2
    err = capsys.readouterr().err
    assert f"{path}:2:" in err and "at least one tag" in err


def test_broken_feeds_file_is_reported(monkeypatch, capsys, tmp_path):
    path = tmp_path / "feeds.yaml"
    path.write_text("feeds:\n  - url: ftp://example.org/feed\n")
    monkeypatch.setenv("WATCHFLOOR_FEEDS_FILE", str(path))
    assert main(["worker", "ingest", "--redis-url", free_port_url()]) == 2
    err = capsys.readouterr().err
    assert "feeds.yaml" in err and "line 2" in err and "http(s)" in err


def _parser_running(func):  # type: ignore[no-untyped-def]
    parser = argparse.ArgumentParser(prog="watchfloor")
    parser.set_defaults(func=func)
    return parser


@pytest.mark.parametrize("error", [ConfigError, SettingsProblem, RedisUnavailable, WatchfloorError])
def test_any_watchfloor_error_is_its_message_and_exit_2(monkeypatch, capsys, error):
    def command(args):  # type: ignore[no-untyped-def]
        raise error("watchlists.yaml:3: watchlist 'x': unknown tag 'missle_test'")

    monkeypatch.setattr(cli_main, "build_parser", lambda command_name=None: _parser_running(command))
    assert main([]) == 2
    assert capsys.readouterr().err == (
        "watchfloor: error: watchlists.yaml:3: watchlist 'x': unknown tag 'missle_test'\n"
    )


def test_a_bug_keeps_its_traceback(monkeypatch):
    def command(args):  # type: ignore[no-untyped-def]
        raise KeyError("not a Watchfloor error")

    monkeypatch.setattr(cli_main, "build_parser", lambda command_name=None: _parser_running(command))
    with pytest.raises(KeyError):
        main([])


@pytest.mark.parametrize("command", ["alerts", "deliveries", "replay", "label"])
@pytest.mark.parametrize("limit", ["0", "-3", "ten"])
def test_a_limit_below_one_is_refused_not_taken_as_nothing(capsys, command, limit):
    # "--limit 0" once printed "no alerts yet" while there were alerts
    with pytest.raises(SystemExit) as exit_:
        main([command, "--limit", limit])
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert "argument --limit" in err
    assert ("must be at least 1" if limit != "ten" else "not a whole number: 'ten'") in err
