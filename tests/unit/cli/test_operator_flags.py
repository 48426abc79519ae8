"""`watchfloor --version`, and log settings refused the way other settings are."""

from __future__ import annotations

from importlib import metadata

import pytest
from watchfloor.services.cli.main import main


def test_version_prints_the_installed_version(capsys):
    with pytest.raises(SystemExit) as stopped:
        main(["--version"])
    assert stopped.value.code == 0
    assert capsys.readouterr().out == f"watchfloor {metadata.version('watchfloor')}\n"


@pytest.mark.parametrize(("variable", "value", "message"), [
    ("WATCHFLOOR_LOG_FORMAT", "xml",
     "WATCHFLOOR_LOG_FORMAT: unknown log format 'xml': use one of auto, json, console"),
    ("WATCHFLOOR_LOG_LEVEL", "bogus",
     "WATCHFLOOR_LOG_LEVEL: unknown log level 'bogus': use one of DEBUG, INFO, WARNING, "
     "ERROR, CRITICAL"),
])
@pytest.mark.parametrize("command", [["status"], ["worker", "classifier"], ["up"],
                                     ["ingest", "x.jsonl"]])
def test_a_bad_log_setting_is_one_line_and_exit_2(monkeypatch, capsys, variable, value,
                                                  message, command):
    monkeypatch.setenv(variable, value)
    assert main(command) == 2
    err = capsys.readouterr().err
    assert err == f"watchfloor: error: invalid settings: {message}\n"
