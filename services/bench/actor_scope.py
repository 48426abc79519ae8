"""What ``actors_scope: event`` changes on real news, and whether it is right.

    python -m watchfloor.services.bench.actor_scope                 # counts
    python -m watchfloor.services.bench.actor_scope --sample 80 --out tasks.jsonl
    python -m watchfloor.services.bench.actor_scope --judged services/training/labels/actor_roles.jsonl

Every item of the pools in ``../shared/data`` is classified with the packaged
classifier; for each emitted tag and each country or organisation the item
names, the pair is *kept* when the actor is named where the tag's event is
told (what ``actors_scope: event`` matches on, ``event_actors``) and *dropped*
when only the article names it.

``--sample N`` writes N dropped and N kept pairs, shuffled, for annotators to
judge blind (which group a pair is in is not in the task). ``--judged FILE``
reads the judgements (``party`` true/false, per id, tag and actor) and gives
for each scope the share of its actor matches where the actor is a party to
the event, and what the event scope loses: the parties among the dropped.
"""

from __future__ import annotations

import json
import random
import sys
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from watchfloor.services.bench.judging import (
    judging_arguments,
    majority_vote,
    read_judgements,
    share,
    write_tasks,
)
from watchfloor.services.notifier.event_actors import event_actors
from watchfloor.services.notifier.matching import actor_ids
from watchfloor.services.training.corpus import CorpusError, iter_pool

SEED = 20261202


@dataclass(frozen=True)
class ActorPair:
    id: str
    tag: str
    actor: str  # id
    actor_name: str
    kept: bool  # named where the event is told


def actor_pairs(items: Iterable[dict[str, Any]]) -> Iterator[ActorPair]:
    from watchfloor.services.classifier.engine import Classifier
    from watchfloor.services.classifier.learned import VerifiedClassifier
    from watchfloor.services.classifier.verifier import VerifierModel

    classifier = VerifiedClassifier(Classifier.from_files(), VerifierModel.load())
    for item in items:
        title = item.get("title") or ""
        result = classifier.classify(title, item.get("text") or "")
        states = [a for a in result.actors if a.kind != "person"]
        for tag in result.tags:
            told = actor_ids(event_actors(result.actors, title, tag))
            for actor in states:
                yield ActorPair(item["id"], tag.tag, actor.id, actor.name,
                                actor.id.casefold() in told)


def counts(pairs: list[ActorPair]) -> dict[str, Any]:
    by_tag: Counter[str] = Counter(p.tag for p in pairs)
    dropped: Counter[str] = Counter(p.tag for p in pairs if not p.kept)
    return {
        "tag_actor_pairs": len(pairs),
        "dropped_by_event_scope": sum(dropped.values()),
        "dropped_share": round(sum(dropped.values()) / max(len(pairs), 1), 3),
        "dropped_share_by_tag": {t: round(dropped[t] / n, 3) for t, n in sorted(by_tag.items())},
    }


def sample(pairs: list[ActorPair], per_group: int) -> list[ActorPair]:
    rng = random.Random(SEED)
    chosen = []
    for kept in (False, True):
        group = [p for p in pairs if p.kept is kept]
        chosen += rng.sample(group, min(per_group, len(group)))
    rng.shuffle(chosen)
    return chosen


def _share(hits: int, total: int) -> dict[str, Any]:
    return {**share(hits, total), "of": total}


def judged(pairs: list[ActorPair], judgements: list[dict[str, Any]]) -> dict[str, Any]:
    """Parties among each group's judged pairs (a pair whose tagged event is
    not in the item counts for neither), and what each scope gives when
    weighted by the group sizes over the whole pool."""
    group = {(p.id, p.tag, p.actor): p.kept for p in pairs}
    party: dict[bool, list[bool]] = {True: [], False: []}
    votes = (((j["id"], j["tag"], j["actor"]), j.get("party")) for j in judgements)
    for key, verdict in majority_vote(votes).items():
        kept = group.get(key)
        if kept is not None and verdict is not None:
            party[kept].append(verdict)
    size = {kept: sum(1 for p in pairs if p.kept is kept) for kept in (True, False)}
    rate = {kept: sum(v) / len(v) if v else 0.0 for kept, v in party.items()}
    parties_kept, parties_dropped = size[True] * rate[True], size[False] * rate[False]
    return {
        "kept_pairs_that_are_parties": _share(sum(party[True]), len(party[True])),
        "dropped_pairs_that_are_parties": _share(sum(party[False]), len(party[False])),
        "article_scope_matches_that_are_parties": round(
            (parties_kept + parties_dropped) / max(size[True] + size[False], 1), 3),
        "event_scope_matches_that_are_parties": round(rate[True], 3),
        "parties_lost_by_event_scope": round(
            parties_dropped / max(parties_kept + parties_dropped, 1e-9), 3),
    }


def main(argv: list[str] | None = None) -> int:
    args = judging_arguments("python -m watchfloor.services.bench.actor_scope", __doc__,
                             "write N dropped and N kept pairs, shuffled, to --out", argv)
    try:
        pairs = list(actor_pairs(iter_pool(args.data_dir)))
    except CorpusError as exc:
        print(f"actor_scope: {exc}", file=sys.stderr)
        return 2
    result: dict[str, Any] = counts(pairs)
    if args.sample:
        write_tasks(args.out, ({"id": p.id, "tag": p.tag, "actor": p.actor,
                                "actor_name": p.actor_name} for p in sample(pairs, args.sample)))
    if args.judged:
        result["judged"] = judged(pairs, read_judgements(args.judged))
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
