"""The actors an alert's event is told with, as opposed to those the article
only mentions ("Japan and Australia hold naval drills ... as China expands
its presence": China is named, not drilling).

An actor counts for a tag when one of its mentions (the words the classifier
found it by) stands in the headline or in the tag's evidence sentence, where
the event is told. A person's state counts with them (the classifier lists
it with the person's words as its mentions). When neither names any actor
("The missile flew 600 km"), nothing tells parties from mentions and every
actor of the article counts.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from watchfloor.shared.schemas import Actor, TagMatch


def _named(actors: Sequence[Actor], told: str) -> list[Actor]:
    """The actors one of whose mentions stands in ``told`` as whole words,
    not inside a longer mention ("Sudan" is not named in "South Sudan", nor
    "Guinea" in "Papua New Guinea"). A mention several actors share (a
    leader's name, for the leader and the state or body they stand for)
    names each of them."""
    found = [(match.start(), match.end(), actor)
             for actor in actors for mention in set(actor.mentions) if mention
             for match in re.finditer(rf"(?<!\w){re.escape(mention)}(?!\w)", told)]
    named = {id(actor) for start, end, actor in found
             if not any(s <= start and end <= e and e - s > end - start for s, e, _ in found)}
    return [a for a in actors if id(a) in named]


def event_actors(actors: Sequence[Actor], title: str, tag: TagMatch) -> list[Actor]:
    """The actors named where ``tag``'s event is told, else all of them."""
    return _named(actors, f"{title}\n{tag.evidence}") or list(actors)
