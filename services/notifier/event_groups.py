"""Which event an alert reports, for ``alert_on: event``: one alert per event
across outlets, not only per story.

The story index merges versions of one text; two outlets that word one event
each their own way ("N. Korea to boost nuclear warhead production" and "Kim
vows to increase nuclear arsenal") are two stories, and a watchlist alerted
per story hears of the event once per outlet. With ``alert_on: event`` an
alert also joins, for each of its tags, its watchlist's *event group*: the
alerts with that tag whose events are told with the same actors (those named
in the headline or in the tag's evidence, a person as the state they act
for) within the event window. The story throttle's rule then applies to each
group as to a story, on the alert's items of the group's own tag: a later
alert passes only when it brings one of its groups a tag or a kind of figure
that group's alerts lacked. So a second outlet's copy is held back, a report
that adds a troop deployment or first gives the number of missiles is not,
and the same tag about other parties ("US sanctions Iran", then "US
sanctions Russia") is another group.

The price: a second event of the same tag between the same parties inside
the window (a second launch that day) is held back as a repeat; it is
recorded and shown in the console, not sent. Measured on real news by
``python -m watchfloor.services.bench.event_groups``.
"""

from __future__ import annotations

from watchfloor.services.notifier.event_actors import event_actors
from watchfloor.shared.schemas import Actor, Alert


def _state_of(actor: Actor) -> str:
    return (actor.country if actor.kind == "person" and actor.country else actor.id).casefold()


def event_groups(alert: Alert) -> list[tuple[str, str]]:
    """(tag, event group) for each of the alert's tags, the group named by the
    tag and the ids of the actors its event is told with ("missile_test:kp");
    none when the article names no actor."""
    groups = set()
    for tag in alert.tags:
        told = sorted({_state_of(a) for a in event_actors(alert.actors, alert.article.title, tag)})
        if told:
            groups.add((tag.tag, f"{tag.tag}:{','.join(told)}"))
    return sorted(groups)
