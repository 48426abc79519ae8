"""`watchfloor demo` (what `make demo` runs) on its embedded Redis."""

from __future__ import annotations

import pytest
from watchfloor.services.cli.main import main

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def test_demo_runs_on_an_embedded_redis_and_shows_the_alerts(monkeypatch, tmp_path, capsys):
    for name in ("WATCHFLOOR_REDIS_URL", "WATCHFLOOR_REDIS_CLUSTER"):
        monkeypatch.delenv(name, raising=False)  # the demo's own embedded Redis
    monkeypatch.setenv("WATCHFLOOR_DATA_DIR", str(tmp_path / "data"))

    assert main(["demo"]) == 0

    out = capsys.readouterr().out
    assert "check: ok - sample-dprk-russia tagged missile_test, treaty_reaffirmation, troop_deployment" in out
    assert "[dprk-russia] Kim Jong Un reaffirms Russia pact" in out
    assert "INVALID" not in out
    *_, summary, console_hint = out.strip().splitlines()
    assert summary.startswith("demo: 51 articles posted (48 new, 3 duplicate)")
    assert console_hint.startswith("console: ") and "make console" in console_hint
    assert (tmp_path / "data" / "redis" / "appendonly.aof").exists()  # data kept locally
