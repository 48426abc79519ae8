"""`watchfloor alerts` lists the alert history, newest first, filtered by watchlist."""

from __future__ import annotations

import asyncio
import json

import pytest
from watchfloor.services.cli.main import main
from watchfloor.shared.schemas import Alert, Article, TagMatch

pytestmark = pytest.mark.integration


def make_alert(i: int, watchlist: str) -> Alert:
    return Alert(
        id=f"al_{i}", watchlist_id=watchlist, watchlist_name=watchlist,
        article=Article(id=f"a{i}", title=f"Headline number {i}"),
        tags=[TagMatch(tag="missile_test", confidence=0.9, evidence=f"Evidence {i}.")],
        actors=[], figures=[], classifier_version="t-1",
    )


async def test_alerts_newest_first_and_by_watchlist(settings, redis_client, keys, capsys):
    for i in range(5):
        await redis_client.xadd(keys.alerts, {"__data__": make_alert(i, "a" if i % 2 else "b").model_dump_json()})
    args = ["--redis-url", settings.resolved_redis_url, "--prefix", settings.key_prefix]

    assert await asyncio.to_thread(main, ["alerts", "--limit", "2", *args]) == 0
    out = capsys.readouterr().out
    assert out.index("Headline number 4") < out.index("Headline number 3")
    assert "Headline number 2" not in out
    assert '"Evidence 4."' in out

    assert await asyncio.to_thread(main, ["alerts", "--watchlist", "a", "--json", *args]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [json.loads(line)["id"] for line in lines] == ["al_3", "al_1"]


async def test_a_watchlist_no_one_configured_is_named_as_such(settings, redis_client, keys,
                                                               capsys):
    from watchfloor.services.classifier.taxonomy import known_tag_ids
    from watchfloor.services.watchlists.model import Watchlist
    from watchfloor.services.watchlists.store import WatchlistStore

    await WatchlistStore(redis_client, keys, known_tags=known_tag_ids()).put(
        Watchlist.model_validate({"id": "korea", "name": "Korea",
                                  "match": {"tags_any": ["missile_test"]}}))
    await redis_client.xadd(keys.alerts, {"__data__": make_alert(1, "korea").model_dump_json()})
    args = ["--redis-url", settings.resolved_redis_url, "--prefix", settings.key_prefix]

    # a misspelt id: not "no alerts yet", which would suggest waiting
    assert await asyncio.to_thread(main, ["alerts", "--watchlist", "koreaa", *args]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "no watchlist 'koreaa' is configured" in captured.err
    assert "(configured: korea; in the alerts kept: korea)" in captured.err

    await redis_client.delete(keys.alerts)
    assert await asyncio.to_thread(main, ["alerts", "--watchlist", "korea", *args]) == 0
    assert capsys.readouterr().out == "no alerts for watchlist 'korea' yet\n"


async def test_a_watchlist_of_the_file_is_known_without_its_targets_secrets(
        settings, redis_client, keys, capsys, tmp_path, monkeypatch):
    # an operator's shell without ${WATCHFLOOR_WEBHOOK_SECRET}: the file does
    # not load, yet its ids are there ("is not configured" was wrong)
    watchlists = tmp_path / "watchlists.yaml"
    watchlists.write_text(
        "watchlists:\n  - id: baltic\n    name: Baltic\n    match: {tags_any: [sanctions]}\n"
        "    targets:\n      - {type: webhook, url: 'https://hooks.example.org/b',"
        " secret: '${WATCHFLOOR_TEST_MISSING_SECRET}'}\n")
    monkeypatch.setenv("WATCHFLOOR_WATCHLISTS_FILE", str(watchlists))
    monkeypatch.delenv("WATCHFLOOR_TEST_MISSING_SECRET", raising=False)
    args = ["--redis-url", settings.resolved_redis_url, "--prefix", settings.key_prefix]
    assert await asyncio.to_thread(main, ["alerts", "--watchlist", "baltic", *args]) == 0
    assert capsys.readouterr().out == "no alerts for watchlist 'baltic' yet\n"


async def test_the_ids_in_the_history_and_an_unreadable_watchlists_file_are_told(
        settings, redis_client, keys, capsys, tmp_path, monkeypatch):
    """A watchlists file that is missing: the command says so, and names the
    ids the alerts kept (they are there to be listed), not only "none"."""
    await redis_client.xadd(keys.alerts, {"__data__": make_alert(1, "missiles").model_dump_json()})
    monkeypatch.setenv("WATCHFLOOR_WATCHLISTS_FILE", str(tmp_path / "gone.yaml"))
    args = ["--redis-url", settings.resolved_redis_url, "--prefix", settings.key_prefix]
    assert await asyncio.to_thread(main, ["alerts", "--watchlist", "zzz", *args]) == 1
    err = capsys.readouterr().err
    assert "(configured: none; in the alerts kept: missiles)" in err
    assert f"the watchlists file {tmp_path / 'gone.yaml'} cannot be read" in err


async def test_a_watchlists_file_that_is_no_yaml_is_told_without_quoting_its_lines(
        settings, capsys, tmp_path, monkeypatch):
    # PyYAML's message quotes the line, and "secret:whsec_..." (no space
    # after the colon) holds the secret
    watchlists = tmp_path / "wl.yaml"
    watchlists.write_text(
        "watchlists:\n  - id: baltic\n    name: Baltic\n    targets:\n"
        "      - type: webhook\n        url: https://hooks.example.org/b\n"
        "        secret:whsec_QUJDREVGR0hJSktMTU5PUFFSU1RVVldY\n")
    monkeypatch.setenv("WATCHFLOOR_WATCHLISTS_FILE", str(watchlists))
    args = ["--redis-url", settings.resolved_redis_url, "--prefix", settings.key_prefix]
    assert await asyncio.to_thread(main, ["alerts", "--watchlist", "zzz", *args]) == 1
    err = capsys.readouterr().err
    assert f"the watchlists file {watchlists} cannot be read" in err and "(line" in err
    assert "QUJDREVG" not in err
