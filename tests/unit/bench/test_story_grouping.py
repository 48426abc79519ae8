"""The story index on real news (``python -m watchfloor.services.bench.stories``):
the figures the README states, and the replay itself on invented items."""

from __future__ import annotations

import pytest
from watchfloor.services.bench.stories import DEFAULT_DATA_DIR, measure, replay

LAUNCH = ("Northland fired a ballistic missile into the sea on {day}, the military of "
          "its southern neighbour said, in the latest of a series of weapons tests.")


def item(item_id: str, day: str, published: str, title: str = "Northland fires missile") -> dict:
    return {"id": item_id, "title": title, "text": LAUNCH.format(day=day), "published": published}


def test_replay_merges_versions_and_keeps_another_event_apart() -> None:
    report = replay([
        item("mon", "Monday", "2031-03-03T01:00:00+00:00"),
        item("mon-2", "Monday", "2031-03-03T04:00:00+00:00", "Northland fires missile, says neighbour"),
        item("thu", "Thursday", "2031-03-06T01:00:00+00:00"),
        # The wire text again, after the 72 h window: the index forgot Monday's.
        item("mon-3", "Monday", "2031-03-07T02:00:00+00:00"),
    ])
    assert [(p.later["id"], p.earlier["id"]) for p in report.merged] == [("mon-2", "mon")]
    assert [(p.later["id"], p.earlier["id"], p.kept_apart_because)
            for p in report.kept_apart] == [
        ("thu", "mon", "published apart"),
        ("thu", "mon-2", "published apart"),
        ("mon-3", "thu", "published apart"),  # Monday's versions are out of the window
    ]
    assert report.figures()["stories_they_joined"] == 1


@pytest.mark.skipif(not (DEFAULT_DATA_DIR / "news_pool_ext.jsonl").is_file(),
                    reason="needs ../shared/data (the news pools)")
def test_the_figures_on_real_news_that_the_readme_states() -> None:
    figures = {name: report.figures() for name, report in measure().items()}
    pool, ext = figures["news_pool.jsonl"], figures["news_pool_ext.jsonl"]
    # Every merge read and found to be the same story (see the bench's --show).
    assert (pool["versions_merged"], pool["stories_they_joined"]) == (60, 57)
    assert (ext["versions_merged"], ext["stories_they_joined"]) == (19, 19)
    # Kept apart: a daily report from one template (new weekday, date and
    # figures), and updates that change a figure (as before the facts rule).
    assert pool["kept_apart_by_reason"] == {"figures": 1, "weekdays": 1}
    assert ext["kept_apart_by_reason"] == {"figures": 1}
