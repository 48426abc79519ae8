"""The watchlist form: form fields <-> the watchlist document the API takes.

Validation is the API's: the same ``Watchlist`` model with the known tags,
and the same secret carry-over (``carry_over_secrets``), so a target shown
without its secret keeps it when saved. Problems are mapped to the form
field they belong to; a problem inside ``targets`` names its place there
("targets[0].url: ..."). Targets are edited as YAML (the watchlists file's
own form), so every target type works without a form of its own.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import yaml
from pydantic import ValidationError
from watchfloor.services.targets import redacted
from watchfloor.services.targets.base import ADDRESS_POLICY
from watchfloor.services.watchlists.actors import KnownActors, packaged_actors
from watchfloor.services.watchlists.api import carry_over_secrets
from watchfloor.services.watchlists.model import (
    KNOWN_ACTORS,
    Watchlist,
    error_message,
    field_location,
    field_path,
)
from watchfloor.shared.addresses import AddressPolicy

LIST_FIELDS = ("tags_any", "tags_all", "exclude_modalities")  # checkboxes
WORD_FIELDS = ("actors_any", "actors_all")  # "KP, RU"
TEXT_FIELDS = ("id", "name", "actors_any", "actors_all", "actors_scope", "keywords_any",
               "min_confidence", "min_figures", "targets", "alert_on")
ALERT_ON_CHOICES = (("story", "once per story (later versions only when they add a tag "
                              "or a kind of figure)"),
                    ("event", "once per event, across outlets (the same actors within "
                              "the event window, unless a report adds a tag or a kind of figure)"),
                    ("every_version", "for every version of a story"))
ACTORS_SCOPE_CHOICES = (("article", "named anywhere in the article"),
                        ("event", "named where the event is told (headline, evidence sentence)"))


@dataclass
class FormState:
    values: dict[str, Any]
    errors: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.errors


def blank_values() -> dict[str, Any]:
    return {**{name: "" for name in TEXT_FIELDS}, **{name: [] for name in LIST_FIELDS},
            "targets": "[]\n"}


def values_of(watchlist: Watchlist) -> dict[str, Any]:
    """The form's values for a stored watchlist (targets without secrets)."""
    match = watchlist.match
    targets = [redacted(t) for t in watchlist.targets]
    return {
        "id": watchlist.id,
        "name": watchlist.name,
        "tags_any": list(match.tags_any),
        "tags_all": list(match.tags_all),
        "actors_any": ", ".join(match.actors_any),
        "actors_all": ", ".join(match.actors_all),
        "actors_scope": match.actors_scope,  # left out, a save reset it
        "keywords_any": "\n".join(match.keywords_any),
        "min_confidence": "" if match.min_confidence == 0 else f"{match.min_confidence:g}",
        "exclude_modalities": list(match.exclude_modalities),
        "min_figures": "" if match.min_figures is None else str(match.min_figures),
        "targets": yaml.safe_dump(targets, sort_keys=False, allow_unicode=True) if targets
        else "[]\n",
        "alert_on": watchlist.alert_on,  # left out, a save turned every_version into story
    }


def values_from_form(form: Mapping[str, Any], lists: Mapping[str, Sequence[str]]) -> dict[str, Any]:
    values = blank_values()
    for name in TEXT_FIELDS:
        value = form.get(name)
        values[name] = value.strip() if isinstance(value, str) else ""
    for name in LIST_FIELDS:
        values[name] = [v for v in lists.get(name, []) if isinstance(v, str)]
    return values


def _words(text: str, known: KnownActors | None = None) -> list[str]:
    """"KP, RU" or "KP RU": ids apart. A part between commas that is a
    name the gazetteer knows ("North Korea") stays whole, so that the
    answer is "use its id 'KP'", not two unknown words."""
    words = []
    for part in re.split(r"[,;\n]+", text):
        part = part.strip()
        if known is not None and " " in part and part.casefold() in known.names:
            words.append(part)
        else:
            words += part.split()
    return words


def document(values: Mapping[str, Any], known_actors: KnownActors | None = None,
             ) -> tuple[dict[str, Any], dict[str, str]]:
    """The watchlist document from the form's values, and problems of form
    (not of content) by field."""
    errors: dict[str, str] = {}
    match: dict[str, Any] = {name: list(values.get(name) or []) for name in LIST_FIELDS}
    for name in WORD_FIELDS:
        match[name] = _words(values.get(name, ""), known_actors)
    match["keywords_any"] = [k.strip() for k in values.get("keywords_any", "").splitlines()
                             if k.strip()]
    for name in ("actors_scope", "min_confidence", "min_figures"):
        if values.get(name):
            match[name] = values[name]
    # a blank field is a missing one ("is required"), as in the file
    data: dict[str, Any] = {k: values[k] for k in ("id", "name", "alert_on") if values.get(k)}
    data["match"] = match
    try:
        targets = yaml.safe_load(values.get("targets") or "[]")
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1})" if mark is not None else ""
        errors["targets"] = f"is not valid YAML{where}"
        targets = []
    if targets is None:
        targets = []
    if not isinstance(targets, list):
        errors["targets"] = "must be a list of targets, each with a type"
        targets = []
    data["targets"] = targets
    return data, errors


def _form_field(loc: Sequence[str | int]) -> str:
    if not loc:
        return "general"
    if loc[0] == "match" and len(loc) > 1:
        return str(loc[1])
    return str(loc[0])


def _place(loc: Sequence[str | int]) -> str:
    return field_path(loc)


def validate(values: Mapping[str, Any], *, known_tags: Collection[str],
             existing: Watchlist | None, addresses: AddressPolicy | None = None,
             known_actors: KnownActors | None = None) -> tuple[Watchlist | None, FormState]:
    """The watchlist the form describes, validated as the API does, or None
    and the problems by form field."""
    known_actors = known_actors or packaged_actors()
    data, errors = document(values, known_actors)
    data = carry_over_secrets(data, existing)
    state = FormState(dict(values), errors)
    try:
        # the same checks as the API: known tags and actors, and targets at
        # public addresses
        watchlist = Watchlist.model_validate(
            data, context={"known_tags": frozenset(known_tags), ADDRESS_POLICY: addresses,
                           KNOWN_ACTORS: known_actors})
    except ValidationError as exc:
        for err in exc.errors(include_url=False, include_input=False):
            loc = field_location(err["loc"])
            if err["type"] in ("union_tag_invalid", "union_tag_not_found"):
                loc = [*loc, "type"]
            name = _form_field(loc)
            message = error_message(err)
            if name == "targets" and len(loc) > 1:
                message = f"{_place(loc)}: {message}"
            state.errors.setdefault(name, message)
        return None, state
    return (None if errors else watchlist), state
