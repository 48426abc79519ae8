"""alert_on: event — which event an alert reports, and the throttle's decisions
on the reports of one event by several outlets (pure, in memory).

Example content is invented for these tests."""

from __future__ import annotations

from datetime import timedelta

from watchfloor.services.notifier.event_groups import event_groups
from watchfloor.services.notifier.throttle_rules import Decision, ThrottleReplay, judged
from watchfloor.shared.schemas import Alert

from tests.unit.notifier.factories import country, figure, make_alert, person, tag

NORTHLAND, SOUTHLAND, EASTLAND = (
    country(code, name).model_copy(update={"mentions": [name]})
    for code, name in (("KP", "North Korea"), ("KR", "South Korea"), ("JP", "Japan")))
LAUNCH = tag("missile_test", evidence="North Korea fired a missile into the sea.")


def launch_report(article_id: str, *, hours: float = 0, title: str = "North Korea fires missile",
                  **kwargs: object) -> Alert:
    alert = make_alert(article_id=article_id, title=title, **kwargs)
    return alert.model_copy(update={"created_at": alert.created_at + timedelta(hours=hours)})


def test_an_alert_is_grouped_per_tag_by_the_actors_its_event_is_told_with() -> None:
    alert = launch_report(
        "a1", title="North Korea fires missile as Japan protests",
        tags=[LAUNCH, tag("diplomatic_visit", evidence="South Korea's envoy met Japan's.")],
        actors=[NORTHLAND, SOUTHLAND, EASTLAND])
    # The visit's sentence names two states and the headline two: South Korea
    # is no party to the launch.
    assert event_groups(alert) == [("diplomatic_visit", "diplomatic_visit:jp,kp,kr"),
                                   ("missile_test", "missile_test:jp,kp")]


def test_a_leader_counts_as_the_state_they_act_for() -> None:
    kim = person("kim-jong-un", "Kim Jong Un", "KP")
    by_state = launch_report("a1", tags=[LAUNCH], actors=[NORTHLAND])
    by_leader = launch_report("a2", title="Kim oversees launch",
                              tags=[tag("missile_test", evidence="Kim watched the launch.")],
                              actors=[kim.model_copy(update={"mentions": ["Kim"]})])
    assert event_groups(by_state) == event_groups(by_leader) == [("missile_test", "missile_test:kp")]


def test_an_article_naming_no_actor_has_no_event_group() -> None:
    alert = launch_report("a1", tags=[LAUNCH], actors=[])
    assert event_groups(alert) == []
    assert judged(alert, by_event=True).groups == ()


def decide(replay: ThrottleReplay, alert: Alert, *, by_event: bool = False,
           every_version: bool = False) -> tuple[Decision, list[str]]:
    return replay.decide(judged(alert, by_event=by_event), every_version=every_version)


def test_alert_on_story_sends_each_outlets_wording_of_one_event() -> None:
    replay = ThrottleReplay()
    first, second = launch_report("a1", tags=[LAUNCH]), launch_report("a2", hours=2, tags=[LAUNCH])
    assert decide(replay, first)[0].send
    assert decide(replay, second)[0].send  # another story: the story index did not merge them


def test_alert_on_event_holds_back_another_outlets_report_of_the_same_event() -> None:
    replay = ThrottleReplay()
    assert decide(replay, launch_report("a1", tags=[LAUNCH]), by_event=True)[0].send
    decision, repeats = decide(replay, launch_report("a2", hours=2, tags=[LAUNCH]), by_event=True)
    assert not decision.send
    assert repeats == [launch_report("a1", tags=[LAUNCH]).id]


def test_a_report_with_news_passes_the_event_group() -> None:
    replay = ThrottleReplay()
    decide(replay, launch_report("a1", tags=[LAUNCH]), by_event=True)
    counted = launch_report("a2", hours=1, tags=[LAUNCH], figures=[figure(3, "missiles")])
    assert decide(replay, counted, by_event=True)[0].send  # first to give the number
    deployed = launch_report("a3", hours=2, tags=[LAUNCH, tag("troop_deployment")])
    assert decide(replay, deployed, by_event=True)[0].send  # a tag the group lacked


def test_the_same_tag_about_other_parties_is_another_event() -> None:
    replay = ThrottleReplay()
    decide(replay, launch_report("a1", tags=[LAUNCH]), by_event=True)
    other = launch_report("a2", hours=1, title="South Korea fires missile",
                          tags=[tag("missile_test", evidence="South Korea fired a missile.")],
                          actors=[SOUTHLAND])
    assert decide(replay, other, by_event=True)[0].send


def test_after_the_event_window_the_same_parties_alert_again() -> None:
    replay = ThrottleReplay(event_window_s=6 * 3600)
    decide(replay, launch_report("a1", tags=[LAUNCH]), by_event=True)
    assert not decide(replay, launch_report("a2", hours=5, tags=[LAUNCH]), by_event=True)[0].send
    assert decide(replay, launch_report("a3", hours=7, tags=[LAUNCH]), by_event=True)[0].send


def test_every_version_is_not_held_by_an_event_group() -> None:
    replay = ThrottleReplay()
    decide(replay, launch_report("a1", tags=[LAUNCH]), by_event=True)
    later = launch_report("a2", hours=1, tags=[LAUNCH])
    assert decide(replay, later, by_event=True, every_version=True)[0].send


def test_a_tag_sent_about_other_parties_does_not_cover_a_new_event_group() -> None:
    replay = ThrottleReplay()
    drill = tag("military_exercise", evidence="North Korea held drills as it fired a missile.")
    assert decide(replay, launch_report("a1", tags=[LAUNCH, drill]), by_event=True)[0].send
    # Another story: the same launch, and drills by two other states, never alerted on.
    allied_drill = tag("military_exercise", evidence="South Korea and Japan began joint drills.")
    later = launch_report("a2", hours=1, title="Missile fired as allies drill",
                          tags=[LAUNCH.model_copy(update={"evidence": "North Korea fired a missile."}),
                                allied_drill],
                          actors=[NORTHLAND, SOUTHLAND, EASTLAND])
    assert [g for _, g in event_groups(later)] == ["military_exercise:jp,kr", "missile_test:kp"]
    assert decide(replay, later, by_event=True)[0].send


def test_a_version_new_to_its_story_is_held_when_its_events_were_each_alerted() -> None:
    sanctions = tag("sanctions", evidence="North Korea was put under new sanctions.")
    both = launch_report("s1-v2", hours=2, tags=[LAUNCH, sanctions])
    reports = [launch_report("s1", tags=[LAUNCH]),
               launch_report("s2", hours=1, tags=[sanctions]),
               both.model_copy(update={"article": both.article.model_copy(
                   update={"story_id": "s1"})})]
    per_story, per_event = ThrottleReplay(), ThrottleReplay()
    assert [decide(per_story, r)[0].send for r in reports] == [True, True, True]
    assert [decide(per_event, r, by_event=True)[0].send for r in reports] == [True, True, False]
