"""The story throttle's pure parts: decisions and their encoding."""

from __future__ import annotations

from watchfloor.services.notifier.story_throttle import throttled_record
from watchfloor.services.notifier.throttle_rules import Decision, decide, news_items, story_of
from watchfloor.shared.schemas import Figure

from tests.unit.notifier.factories import make_alert, tag

MISSILE = frozenset({"missile_test"})
MISSILE_AND_TROOPS = frozenset({"missile_test", "troop_deployment"})


def sent(tags: frozenset[str]) -> Decision:
    return Decision(send=True, tags=tags)


def dropped(tags: frozenset[str]) -> Decision:
    return Decision(send=False, tags=tags)


def test_first_alert_of_a_story_is_sent() -> None:
    assert decide("al-1", MISSILE, {}) == sent(MISSILE)


def test_a_repeat_with_no_new_tag_is_dropped() -> None:
    assert decide("al-2", MISSILE, {"al-1": sent(MISSILE_AND_TROOPS)}) == dropped(MISSILE)


def test_a_version_with_a_new_tag_is_sent() -> None:
    assert decide("al-2", MISSILE_AND_TROOPS, {"al-1": sent(MISSILE)}) == sent(MISSILE_AND_TROOPS)


def test_new_means_new_to_every_alert_sent_so_far() -> None:
    history = {"al-1": sent(MISSILE), "al-2": sent(frozenset({"troop_deployment"}))}
    assert not decide("al-3", MISSILE_AND_TROOPS, history).send


def test_tags_of_dropped_alerts_do_not_count_as_sent() -> None:
    history = {"al-1": sent(MISSILE), "al-2": dropped(MISSILE_AND_TROOPS)}
    assert decide("al-3", MISSILE_AND_TROOPS, history).send


def test_a_story_whose_alerts_were_all_dropped_sends_again() -> None:
    # Cannot arise from decide() alone, but keeps the rule "first sent alert passes".
    assert decide("al-2", MISSILE, {"al-1": dropped(MISSILE)}).send


def test_a_redelivered_alert_gets_its_first_answer() -> None:
    assert decide("al-1", MISSILE, {"al-1": sent(MISSILE), "al-2": sent(MISSILE)}) == sent(MISSILE)
    assert decide("al-2", MISSILE_AND_TROOPS, {"al-2": dropped(MISSILE)}) == dropped(MISSILE)


def test_decision_encoding_round_trips() -> None:
    for decision in (sent(MISSILE_AND_TROOPS), dropped(MISSILE), sent(frozenset())):
        assert Decision.decode(decision.encode()) == decision
    assert sent(MISSILE_AND_TROOPS).encode() == "send:missile_test,troop_deployment"


def test_story_of_an_alert() -> None:
    alert = make_alert(article_id="art-7")
    assert story_of(alert) == "art-7"  # its own story
    article = alert.article.model_copy(update={"story_id": "art-1"})
    assert story_of(alert.model_copy(update={"article": article})) == "art-1"


def test_a_watchlist_that_wants_every_version_gets_every_version() -> None:
    history = {"al-1": sent(MISSILE_AND_TROOPS)}
    assert decide("al-2", MISSILE, history, every_version=True) == sent(MISSILE)
    # ...but a decision already taken stands (a redelivered batch).
    assert decide("al-2", MISSILE, {"al-2": dropped(MISSILE)}, every_version=True).send is False


def test_a_throttled_record_says_which_alerts_it_repeats() -> None:
    alert = make_alert(article_id="art-2", tags=[tag("missile_test")])
    article = alert.article.model_copy(update={"story_id": "art-1"})
    alert = alert.model_copy(update={"article": article})
    history = {"al-1": sent(MISSILE), "al-0": dropped(MISSILE), "al-3": sent(MISSILE)}

    record = throttled_record(alert, history)

    assert (record.alert_id, record.watchlist_id) == (alert.id, alert.watchlist_id)
    assert (record.story_id, record.article_id) == ("art-1", "art-2")
    assert record.title == alert.article.title and record.url == alert.article.url
    assert record.tags == ["missile_test"]
    assert record.repeat_of == ["al-1", "al-3"]  # the alerts sent, not those held back
    assert "already alerted" in record.reason
    assert record.throttled_at == alert.created_at


def test_a_version_that_first_gives_a_kind_of_figure_is_news() -> None:
    # "Ostland moves troops to the border", then "... moves 30,000 troops":
    # the number was held back as a repeat, and the officer never saw it
    troops = Figure(kind="troops", value=30_000, text="30,000 troops")
    first = make_alert(article_id="art-1", tags=[tag("troop_deployment")])
    counted = make_alert(article_id="art-2", tags=[tag("troop_deployment")], figures=[troops])
    assert news_items(counted) == {"troop_deployment", "figure:troops"}
    history = {"al-1": sent(news_items(first))}
    assert decide("al-2", news_items(counted), history).send
    # a third copy with the same kinds of figures is a repeat again
    history["al-2"] = sent(news_items(counted))
    recount = Figure(kind="troops", value=32_000, text="32,000 troops")
    again = make_alert(article_id="art-3", tags=[tag("troop_deployment")], figures=[recount])
    assert not decide("al-3", news_items(again), history).send


def test_a_figure_from_the_background_is_no_news() -> None:
    # a second version of a missile test adds "drills involving 20,000
    # troops": a number, but not one that counts the launch
    drills = Figure(kind="troops", value=20_000, text="20,000 troops")
    first = make_alert(article_id="art-1", tags=[tag("missile_test")])
    second = make_alert(article_id="art-2", tags=[tag("missile_test")], figures=[drills])
    assert news_items(second) == {"missile_test"}
    assert not decide("al-2", news_items(second), {"al-1": sent(news_items(first))}).send
