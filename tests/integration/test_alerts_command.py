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
