"""The actors a watchlist may name: the ids the classifier gives actors (the
gazetteer's: countries by ISO code, people and organisations by id). A name
("North Korea") is refused with the id to use, or it would never match."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from watchfloor.services.classifier.gazetteer import Gazetteer


@dataclass(frozen=True)
class KnownActors:
    ids: frozenset[str]  # casefolded, as the matcher compares them
    names: Mapping[str, str]  # a name or alias, casefolded -> the id it stands for

    @classmethod
    def of(cls, gazetteer: Gazetteer) -> KnownActors:
        return cls(
            ids=frozenset(entity.id.casefold() for entity in gazetteer.entities.values()),
            names={surface.text.casefold(): surface.entity.id
                   for surface in gazetteer.surfaces.values() if surface.entity is not None},
        )

    def problem(self, actors: list[str]) -> str | None:
        """Why some of ``actors`` name no actor; None when all do."""
        hints = []
        unknown = []
        for actor in actors:
            if actor.casefold() in self.ids:
                continue
            meant = self.names.get(actor.strip().casefold())
            if meant is not None:
                hints.append(f"unknown actor {actor!r}: use its id {meant!r}")
            else:
                unknown.append(repr(actor))
        if unknown:
            hints.append(f"unknown actor {', '.join(unknown)}: actors are the gazetteer's ids "
                         "(countries by ISO code such as KP or RU, people and organisations "
                         "by id such as kim-jong-un or NATO)")
        return "; ".join(hints) or None


@lru_cache(maxsize=4)
def known_actors(gazetteer_file: Path | None = None) -> KnownActors:
    """The actors of the gazetteer in ``gazetteer_file`` (None: the packaged one)."""
    return KnownActors.of(Gazetteer.load(gazetteer_file))


def packaged_actors() -> KnownActors:
    return known_actors(None)
