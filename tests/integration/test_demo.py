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


def test_a_taken_port_stops_the_kept_running_demo_with_one_line(monkeypatch, tmp_path, capsys):
    # before: a uvicorn error, two tracebacks and exit 3, after Redis had started
    import socket

    for name in ("WATCHFLOOR_REDIS_URL", "WATCHFLOOR_REDIS_CLUSTER"):
        monkeypatch.delenv(name, raising=False)  # the demo's own embedded Redis
    monkeypatch.setenv("WATCHFLOOR_DATA_DIR", str(tmp_path / "data"))
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        monkeypatch.setenv("WATCHFLOOR_HTTP_PORT", str(port))  # read when --port is not given
        assert main(["demo", "--keep-running"]) == 2
    err = capsys.readouterr().err
    assert f":{port}" in err and "Traceback" not in err
    assert not (tmp_path / "data" / "redis").exists()  # nothing was started


def test_a_sample_line_that_is_not_json_is_named(tmp_path, capsys):
    samples = tmp_path / "samples"
    samples.mkdir()
    (samples / "watchlists.yaml").write_text("watchlists: []\n")
    (samples / "articles.jsonl").write_text('{"title": "A", "text": "B"}\n{"title": \n')
    assert main(["demo", "--samples", str(samples)]) == 2
    assert f"{samples / 'articles.jsonl'}:2: not JSON" in capsys.readouterr().err
