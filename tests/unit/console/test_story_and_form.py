"""The story thread, and the watchlist form's validation (the API's)."""

from __future__ import annotations

from datetime import timedelta

from watchfloor.services.console.story import build_thread
from watchfloor.services.console.watchlist_form import blank_values, validate, values_of
from watchfloor.services.notifier.story_throttle import ThrottledAlert
from watchfloor.services.watchlists.model import Watchlist
from watchfloor.shared.schemas import Figure

from tests.unit.console.factories import T0, alert, article, classified, tag

TAGS = {"missile_test", "sanctions", "military_exercise"}
SECRET = "whsec_" + "A" * 40


def test_a_thread_lists_versions_in_order_with_what_each_added_and_its_alerts() -> None:
    first = classified(article("u-1"))
    second = classified(article("u-2", story_id="u-1", at=T0 + timedelta(hours=1)),
                        tags=[tag(), tag("sanctions")],
                        figures=[Figure(kind="missiles", value=2, text="two missiles")])
    third = classified(article("u-3", story_id="u-1", at=T0 + timedelta(hours=2)))
    thread = build_thread([third, first, second], [alert("al_1", art=first.article)])
    assert [v.article.id for v in thread] == ["u-1", "u-2", "u-3"]
    assert thread[0].first and [a.id for a in thread[0].alerts] == ["al_1"]
    assert (thread[1].added_tags, thread[1].added_figures) == (["sanctions"], ["missiles 2"])
    assert (thread[2].added_tags, thread[2].added_figures, thread[2].alerts) == ([], [], [])


def test_a_version_known_only_from_its_alert_is_still_in_the_thread() -> None:
    thread = build_thread([], [alert("al_9", art=article("u-9"))])
    assert len(thread) == 1 and not thread[0].classified and thread[0].tags[0].tag == "missile_test"


def form(**values):
    return {**blank_values(), **values}


def test_problems_are_shown_by_form_field() -> None:
    watchlist, state = validate(form(id="bad id", tags_any=["rocket"], min_confidence="2",
                                     targets="- {type: pager}"), known_tags=TAGS, existing=None)
    assert watchlist is None
    assert set(state.errors) == {"id", "name", "tags_any", "min_confidence", "targets"}
    assert state.errors["name"] == "is required"
    assert "unknown tag 'rocket'" in state.errors["tags_any"]
    assert state.errors["targets"].startswith("targets[0].type: must be one of")


def test_an_actor_given_by_name_is_shown_with_its_id() -> None:
    watchlist, state = validate(form(id="a", name="A", tags_any=["missile_test"],
                                     actors_any="Finland, RU"), known_tags=TAGS, existing=None)
    assert watchlist is None
    assert state.errors["actors_any"] == "unknown actor 'Finland': use its id 'FI'"


def test_an_actor_name_of_several_words_is_shown_with_its_id_too() -> None:
    # before: split at the space, "unknown actor 'North', 'Korea'" without the hint
    _, state = validate(form(id="a", name="A", tags_any=["missile_test"],
                             actors_any="North Korea, Kim Jong Un"), known_tags=TAGS,
                        existing=None)
    assert state.errors["actors_any"] == ("unknown actor 'North Korea': use its id 'KP'; "
                                          "unknown actor 'Kim Jong Un': use its id "
                                          "'kim-jong-un'")
    watchlist, _ = validate(form(id="a", name="A", tags_any=["missile_test"],
                                 actors_any="KP RU"), known_tags=TAGS, existing=None)
    assert watchlist is not None and watchlist.match.actors_any == ["KP", "RU"]


def test_targets_that_are_not_yaml_say_where() -> None:
    _, state = validate(form(id="a", name="A", targets="- [unclosed"), known_tags=TAGS,
                        existing=None)
    assert state.errors["targets"].startswith("is not valid YAML (line")


def test_a_valid_form_gives_the_watchlist_and_a_stored_secret_is_kept() -> None:
    stored = Watchlist(id="m", name="M", targets=[
        {"type": "webhook", "url": "https://hooks.example.org/m", "secret": SECRET}])
    values = values_of(stored)
    assert SECRET not in str(values)  # the form never shows a secret
    watchlist, state = validate({**values, "actors_any": "kp, RU", "keywords_any": "Hwasong\n\n",
                                 "min_confidence": "0.5", "tags_any": ["missile_test"]},
                                known_tags=TAGS, existing=stored)
    assert state.ok and watchlist is not None
    assert watchlist.match.actors_any == ["kp", "RU"] and watchlist.match.keywords_any == ["Hwasong"]
    assert watchlist.targets[0].secret.get_secret_value() == SECRET


def test_saving_the_form_unchanged_keeps_every_version_alerting() -> None:
    # the form had no alert_on: a save turned every_version back into story
    stored = Watchlist(id="m", name="M", alert_on="every_version",
                       match={"tags_any": ["missile_test"]})
    watchlist, state = validate(values_of(stored), known_tags=TAGS, existing=stored)
    assert state.ok and watchlist is not None and watchlist.alert_on == "every_version"
    blank, _ = validate(form(id="n", name="N"), known_tags=TAGS, existing=None)
    assert blank is not None and blank.alert_on == "story"  # the default


def test_saving_the_form_unchanged_keeps_the_actors_scope() -> None:
    stored = Watchlist(id="m", name="M", match={"actors_any": ["KP"], "actors_scope": "event"})
    watchlist, state = validate(values_of(stored), known_tags=TAGS, existing=stored)
    assert state.ok and watchlist is not None and watchlist.match.actors_scope == "event"
    blank, _ = validate(form(id="n", name="N"), known_tags=TAGS, existing=None)
    assert blank is not None and blank.match.actors_scope == "article"  # the default
    wrong, state = validate({**values_of(stored), "actors_scope": "paragraph"}, known_tags=TAGS,
                            existing=stored)
    assert wrong is None and "actors_scope" in state.errors


def test_an_alert_held_back_by_the_throttle_is_shown_on_its_version() -> None:
    first = classified(article("u-1"))
    later = article("u-2", story_id="u-1", at=T0 + timedelta(hours=1))
    held = ThrottledAlert(alert_id="al_2", watchlist_id="missiles", story_id="u-1",
                          article_id="u-2", title=later.title, tags=["missile_test"],
                          reason="a version of a story this watchlist was already alerted on",
                          repeat_of=["al_1"], throttled_at=later.ingested_at)
    thread = build_thread([first], [alert("al_1", art=first.article)], [held, held])
    assert [v.article.id for v in thread] == ["u-1", "u-2"]
    assert not thread[1].classified and [h.alert_id for h in thread[1].held] == ["al_2"]


def test_the_form_refuses_a_target_at_an_internal_address_like_the_api() -> None:
    from watchfloor.shared.addresses import AddressPolicy

    targets = f"- {{type: webhook, url: 'http://169.254.169.254/latest', secret: '{SECRET}'}}"
    _, state = validate(form(id="a", name="A", tags_any=["missile_test"], targets=targets),
                        known_tags=TAGS, existing=None, addresses=AddressPolicy())
    assert "link-local" in state.errors["targets"]


def test_other_outlets_reports_held_as_repeats_are_shown_with_the_alert_they_repeat() -> None:
    first = classified(article("u-1"))
    elsewhere = ThrottledAlert(alert_id="al_7", watchlist_id="missiles", story_id="u-7",
                               article_id="u-7", title="Pyongyang launches a missile",
                               source="Other Outlet", tags=["missile_test"],
                               reason="another report of an event", repeat_of=["al_1"],
                               throttled_at=T0 + timedelta(hours=1),
                               event_group="missile_test:kp")
    unrelated = elsewhere.model_copy(update={"alert_id": "al_8", "repeat_of": ["al_99"]})
    thread = build_thread([first], [alert("al_1", art=first.article)],
                          elsewhere=[elsewhere, elsewhere, unrelated])
    (version,) = thread  # shown with the alert, not as a version of this story
    assert [h.alert_id for h in version.also_reported] == ["al_7"]
