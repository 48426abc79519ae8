"""``python -m watchfloor.services.bench.event_groups``: what alert_on: event
holds back on real news (the README's figures), and its parts on invented
alerts."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from watchfloor.services.bench import event_groups
from watchfloor.services.bench.event_groups import HeldPair, replayed, verdict_shares
from watchfloor.services.training.corpus import DEFAULT_DATA_DIR, LABELS_DIR

from tests.unit.notifier.factories import make_alert, tag


def report(article_id: str, hours: float, tags: tuple[str, ...] = ("missile_test",)):
    alert = make_alert(article_id=article_id, tags=[tag(t) for t in tags])
    return alert.model_copy(update={"created_at": alert.created_at + timedelta(hours=hours)})


def test_a_held_report_is_paired_with_the_first_alert_it_repeats_a_tag_of() -> None:
    alerts = [report("visit", 0, ("diplomatic_visit",)), report("launch", 1),
              report("launch-again", 3), report("visit-and-launch", 4,
                                                ("diplomatic_visit", "missile_test"))]
    assert replayed(alerts, by_event=False) == (4, [])
    sent, held = replayed(alerts, by_event=True)
    assert sent == 2
    assert held == [HeldPair("launch-again", "launch", 2.0, ("missile_test",)),
                    HeldPair("visit-and-launch", "visit", 4.0, ("diplomatic_visit",))]


def test_judged_shares_count_the_majority_and_the_window() -> None:
    pairs = [HeldPair("b", "a", 2.0, ("sanctions",)), HeldPair("d", "c", 20.0, ("sanctions",))]
    votes = [{"later": "b", "earlier": "a", "verdict": v} for v in ("same", "different", "same")]
    votes += [{"later": "d", "earlier": "c", "verdict": v} for v in ("different", "no_event")]
    shares = verdict_shares(pairs, votes)
    assert shares["3h"]["pairs"] == 1 and shares["3h"]["same"]["share"] == 1.0
    assert shares["24h"]["pairs"] == 1  # "d" has no majority: no verdict


@pytest.mark.skipif(not (DEFAULT_DATA_DIR / "news_pool_ext.jsonl").is_file(),
                    reason="needs ../shared/data (the news pools)")
def test_the_figures_on_real_news_that_the_readme_states(capsys) -> None:
    assert event_groups.main(["--judged", str(LABELS_DIR / "event_pairs.jsonl")]) == 0
    figures = json.loads(capsys.readouterr().out)
    assert (figures["alerts_matched"], figures["sent_alert_on_story"]) == (6089, 6076)
    assert figures["alert_on_event_12h"]["sent"] == 5086
    twelve = figures["judged"]["12h"]
    assert (twelve["pairs"], twelve["same"]["share"], twelve["different"]["share"]) == (
        90, 0.933, 0.033)
