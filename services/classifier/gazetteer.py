"""The gazetteer: countries, organisations and people the classifier can name.

The names live in ``gazetteer.yaml`` (data, not code). Loading validates the
file and reports problems as ``GazetteerError("<file>:<line>: <problem>")``,
using the line marks of ``yaml.compose`` so an editor can jump to the entry.

Every surface form gets a *strength*, which the extractor uses to stay
precise on ambiguous names:

- ``strong``: the form alone names the entity ("North Korean", "Pyongyang"
  is not strong, "Kremlin" is).
- ``guarded``: counts unless it is part of a longer capitalised name
  ("Michael Jordan", "George Washington", "Georgia Tech"). Capitals and
  one-word names of people ("Trump", "Melania Trump") are always guarded.
- ``weak``: counts only when the item also names the entity another way, or
  right after a title ("Mr Johnson", "Georgia" with "Tbilisi").

Phrases under ``ignore`` name nothing we track; they exist to shadow the
shorter names inside them ("Washington Post", "Indian Ocean").
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import yaml
from watchfloor.services.classifier import yaml_nodes
from watchfloor.shared.errors import ConfigError
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

DEFAULT_PATH = Path(__file__).with_name("gazetteer.yaml")

Strength = Literal["strong", "guarded", "weak"]
EntityKind = Literal["country", "organisation", "person"]

_ISO_CODE = re.compile(r"[A-Z]{2}")
_ORG_ID = re.compile(r"[A-Z0-9][A-Za-z0-9-]*")
_PERSON_ID = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")


class GazetteerError(ConfigError, ValueError):
    """The gazetteer file is malformed; the message names file, line and problem."""


@dataclass(frozen=True, slots=True)
class Entity:
    kind: EntityKind
    id: str
    name: str
    country: str | None = None  # people: the state they act for
    org: str | None = None  # people: the organisation they act for


@dataclass(frozen=True, slots=True)
class Surface:
    """One way of writing a name. ``entity`` is None for ignore phrases."""

    text: str
    entity: Entity | None
    strength: Strength


@dataclass(slots=True)
class Gazetteer:
    entities: dict[tuple[str, str], Entity] = field(default_factory=dict)
    surfaces: dict[str, Surface] = field(default_factory=dict)
    source: str = "<memory>"
    # capitals and other cities of a country: places, not the state acting
    places: frozenset[str] = frozenset()

    @classmethod
    def load(cls, path: Path | None = None) -> Gazetteer:
        path = Path(path) if path is not None else DEFAULT_PATH
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise GazetteerError(f"{path}: cannot read: {exc}") from exc
        return cls.from_yaml(text, source=str(path))

    @classmethod
    def from_yaml(cls, text: str, source: str = "<string>") -> Gazetteer:
        try:
            root = yaml_nodes.compose(text)
        except yaml.YAMLError as exc:
            line = _yaml_error_line(exc)
            raise GazetteerError(f"{source}:{line}: not valid YAML: {exc}") from exc
        builder = _Builder(source)
        builder.build(root)
        return cls(
            entities=builder.entities,
            surfaces=builder.surfaces,
            source=source,
            places=frozenset(builder.places),
        )

    def country(self, code: str) -> Entity | None:
        return self.entities.get(("country", code))

    def organisation(self, org_id: str) -> Entity | None:
        return self.entities.get(("organisation", org_id))

    def person(self, person_id: str) -> Entity | None:
        return self.entities.get(("person", person_id))


def _yaml_error_line(exc: yaml.YAMLError) -> int | str:
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    return mark.line + 1 if mark is not None else "?"


class _Builder:
    """Walks the composed YAML nodes so every error can name its line."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.entities: dict[tuple[str, str], Entity] = {}
        self.surfaces: dict[str, Surface] = {}
        self._surface_lines: dict[str, int] = {}
        self.places: set[str] = set()

    def error(self, node: Node | None, problem: str) -> GazetteerError:
        line = node.start_mark.line + 1 if node is not None else 1
        return GazetteerError(f"{self.source}:{line}: {problem}")

    def build(self, root: Node | None) -> None:
        if not isinstance(root, MappingNode):
            raise self.error(
                root, "top level must be a mapping with countries/organisations/people"
            )
        sections = self.mapping(root)
        unknown = set(sections) - {"version", "ignore", "countries", "organisations", "people"}
        if unknown:
            key = sorted(unknown)[0]
            raise self.error(sections[key][0], f"unknown section {key!r}")
        if "countries" not in sections:
            raise self.error(root, "missing section 'countries'")
        # Countries and organisations first: people refer to them.
        for entry in self.sequence(sections["countries"][1], "countries"):
            self.country(entry)
        for entry in self.sequence(sections.get("organisations", (None, None))[1], "organisations"):
            self.organisation(entry)
        for entry in self.sequence(sections.get("people", (None, None))[1], "people"):
            self.person(entry)
        for node in self.sequence(sections.get("ignore", (None, None))[1], "ignore"):
            self.add_surface(self.string(node, "ignore phrase"), None, "strong", node)

    # -- node helpers -------------------------------------------------------

    def mapping(self, node: MappingNode) -> dict[str, tuple[Node, Node]]:
        out: dict[str, tuple[Node, Node]] = {}
        for key_node, value_node in node.value:
            key = self.string(key_node, "key")
            if key in out:
                raise self.error(key_node, f"duplicate key {key!r}")
            out[key] = (key_node, value_node)
        return out

    def sequence(self, node: Node | None, what: str) -> list[Node]:
        if node is None or (isinstance(node, ScalarNode) and node.value in ("", "~", "null")):
            return []
        if not isinstance(node, SequenceNode):
            raise self.error(node, f"{what} must be a list")
        return list(node.value)

    def string(self, node: Node, what: str) -> str:
        if not isinstance(node, ScalarNode) or not node.value.strip():
            raise self.error(node, f"{what} must be a non-empty string")
        return node.value.strip()

    def strings(self, fields: dict[str, tuple[Node, Node]], key: str) -> list[tuple[str, Node]]:
        if key not in fields:
            return []
        return [(self.string(n, key), n) for n in self.sequence(fields[key][1], key)]

    def entry(self, node: Node, allowed: set[str], required: tuple[str, ...]) -> dict:
        if not isinstance(node, MappingNode):
            raise self.error(node, "entry must be a mapping")
        fields = self.mapping(node)
        for key in fields:
            if key not in allowed:
                raise self.error(fields[key][0], f"unknown field {key!r}")
        for key in required:
            if key not in fields:
                raise self.error(node, f"missing {key}")
        return fields

    # -- entries ------------------------------------------------------------

    _NAME_LISTS = ("aliases", "adjectives", "capitals", "cities", "seats", "guarded", "weak")

    def country(self, node: Node) -> None:
        fields = self.entry(node, {"code", "name", *self._NAME_LISTS}, ("code", "name"))
        code_node = fields["code"][1]
        code = self.string(code_node, "code")
        if not _ISO_CODE.fullmatch(code):
            raise self.error(code_node, f"bad ISO 3166 alpha-2 code {code!r} (two capital letters)")
        name = self.string(fields["name"][1], "name")
        entity = Entity("country", code, name)
        self.register(entity, fields["code"][1])
        self.names(entity, fields, node)

    def organisation(self, node: Node) -> None:
        fields = self.entry(node, {"id", "name", *self._NAME_LISTS}, ("id", "name"))
        id_node = fields["id"][1]
        org_id = self.string(id_node, "id")
        if not _ORG_ID.fullmatch(org_id):
            raise self.error(id_node, f"bad organisation id {org_id!r}")
        if ("country", org_id) in self.entities:
            # watchlists name actors by id alone: "AU" would match both
            raise self.error(id_node, f"organisation id {org_id!r} is a country's code: "
                                      "choose another")
        entity = Entity("organisation", org_id, self.string(fields["name"][1], "name"))
        self.register(entity, id_node)
        self.names(entity, fields, node)

    def person(self, node: Node) -> None:
        allowed = {"id", "name", "country", "org", "role", *self._NAME_LISTS}
        fields = self.entry(node, allowed, ("id", "name"))
        id_node = fields["id"][1]
        person_id = self.string(id_node, "id")
        if not _PERSON_ID.fullmatch(person_id):
            raise self.error(id_node, f"bad person id {person_id!r} (lowercase slug)")
        country = org = None
        if "country" in fields:
            country_node = fields["country"][1]
            country = self.string(country_node, "country")
            if ("country", country) not in self.entities:
                raise self.error(country_node, f"unknown country {country!r} for {person_id}")
        if "org" in fields:
            org_node = fields["org"][1]
            org = self.string(org_node, "org")
            if ("organisation", org) not in self.entities:
                raise self.error(org_node, f"unknown organisation {org!r} for {person_id}")
        if country is None and org is None:
            raise self.error(node, f"person {person_id} needs a country or an org")
        name = self.string(fields["name"][1], "name")
        entity = Entity("person", person_id, name, country=country, org=org)
        self.register(entity, id_node)
        self.names(entity, fields, node)

    def register(self, entity: Entity, node: Node) -> None:
        key = (entity.kind, entity.id)
        if key in self.entities:
            raise self.error(node, f"duplicate {entity.kind} id {entity.id!r}")
        self.entities[key] = entity

    def names(self, entity: Entity, fields: dict, node: Node) -> None:
        guarded = self.strings(fields, "guarded")
        weak = self.strings(fields, "weak")
        demoted = {text for text, _ in guarded} | {text for text, _ in weak}
        strong: list[tuple[str, Node]] = [(entity.name, fields["name"][1])]
        strong += self.strings(fields, "aliases")
        strong += self.strings(fields, "adjectives")
        strong += self.strings(fields, "seats")
        for text, n in strong:
            if text in demoted:
                continue
            # A lone surname can start or end someone else's name: "Melania Trump".
            lone_surname = entity.kind == "person" and " " not in text
            self.add_surface(text, entity, "guarded" if lone_surname else "strong", n)
        # Capitals are cities first: "Paris Hilton", "Washington Post".
        cities = self.strings(fields, "capitals") + self.strings(fields, "cities")
        self.places.update(text for text, _ in cities)
        for text, n in cities + guarded:
            self.add_surface(text, entity, "guarded", n)
        for text, n in weak:
            self.add_surface(text, entity, "weak", n)

    def add_surface(self, text: str, entity: Entity | None, strength: Strength, node: Node) -> None:
        known = self.surfaces.get(text)
        if known is not None:
            if known.entity != entity:
                raise self.error(
                    node,
                    f"alias {text!r} means {_describe(entity)} here but "
                    f"{_describe(known.entity)} at line {self._surface_lines[text]}",
                )
            if known.strength != strength:
                raise self.error(node, f"alias {text!r} listed twice with different strength")
            return
        self.surfaces[text] = Surface(text, entity, strength)
        self._surface_lines[text] = node.start_mark.line + 1


def _describe(entity: Entity | None) -> str:
    return "nothing (ignore)" if entity is None else f"{entity.kind} {entity.id}"
