"""`python -m watchfloor.services.chaos`: a wrong flag or setting is one line, exit 2."""

from __future__ import annotations

import pytest
from watchfloor.services.chaos.__main__ import main


@pytest.mark.parametrize(("argv", "message"), [
    (["--faults", "kill_ingest,unplug_everything"], "unknown fault unplug_everything; known: kill_ingest"),
    (["--faults", ","], "unknown fault (none given)"),
    (["--receiver-down-s", "0"], "must be above 0: 0"),
    (["--rate", "fast"], "not a number: 'fast'"),
])
def test_a_wrong_flag_names_the_problem(argv, message, capsys) -> None:
    with pytest.raises(SystemExit) as exited:
        main(argv)
    assert exited.value.code == 2
    assert message in capsys.readouterr().err


def test_a_wrong_setting_is_one_line_before_anything_starts(monkeypatch, capsys) -> None:
    monkeypatch.setenv("WATCHFLOOR_CLASSIFIER", "oracle")
    assert main(["--faults", "kill_ingest"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("chaos: ") and "WATCHFLOOR_CLASSIFIER" in err
    assert "Traceback" not in err
