"""Watchlists: the YAML file officers edit, loaded into validated models.

The file shape is a contract (DESIGN.md)::

    watchlists:
      - id: dprk-russia
        name: North Korea and Russia, military cooperation
        match: {tags_any: [...], actors_any: [KP, RU], min_confidence: 0.5}
        targets:
          - {type: webhook, url: https://..., secret: "${DPRK_HOOK_SECRET}"}
          - {type: slack, url: "${SLACK_WEBHOOK_URL}"}

``${VAR}`` in any string value is replaced from the ``env`` mapping the caller
passes (``os.environ`` in production), so secrets need not sit in the file;
``$${`` writes a literal ``${``.

Every problem is reported at once, each naming the file, the watchlist and the
field (with its line), and never the value: a value may be a secret. Each
target type (``services/targets/``) owns its config model, secrets as
``SecretStr``; ``Target`` is their union.
"""

from __future__ import annotations

import difflib
import unicodedata
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ModelWrapValidatorHandler,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import InitErrorDetails, PydanticCustomError
from watchfloor.services.classifier.taxonomy import known_tag_ids
from watchfloor.services.targets import TARGET_TYPES, Target, target_names
from watchfloor.services.targets.base import ADDRESS_POLICY
from watchfloor.services.watchlists.actors import KnownActors, packaged_actors
from watchfloor.shared.addresses import AddressPolicy
from watchfloor.shared.errors import ConfigError
from watchfloor.shared.schemas import Modality
from watchfloor.shared.text_files import NotUTF8, read_utf8
from watchfloor.shared.yaml_config import (
    YamlSyntaxError,
    expand_env,
    line_of,
    parse_yaml,
    shown_key,
)

# The validation context's key for the ``KnownActors`` a watchlist may name
# (given where a watchlist is saved: the file, the API, the console).
KNOWN_ACTORS = "known_actors"


class WatchlistError(ConfigError, ValueError):
    """The watchlists file is unusable. ``problems`` holds one line per problem."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))


# --- models -----------------------------------------------------------------


def _has_a_word(keyword: str, info: ValidationInfo) -> str:
    # a blank keyword would match at every space after punctuation; on a
    # write (the file, the API, the console: known actors in the context),
    # also "-", which matches every dash, and invisible characters alone. A
    # watchlist stored before that rule is read as before, not dropped.
    if not keyword.split():
        raise ValueError("must contain a word")
    writing = KNOWN_ACTORS in (info.context or {})
    # letters, digits or symbols ("☢", "€"), not only punctuation and spaces
    if writing and all(unicodedata.category(ch)[0] in "PZC" for ch in keyword):
        raise ValueError("must contain a word")
    return keyword


ActorScope = Literal["article", "event"]


class MatchRule(BaseModel):
    """What an article must show. Every criterion given narrows the match.

    Unknown keys are refused: a misspelt criterion (``tag_any``) would
    otherwise be dropped and the watchlist would alert on far more than meant.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    tags_any: list[str] = Field(default_factory=list)
    tags_all: list[str] = Field(default_factory=list)
    actors_any: list[str] = Field(default_factory=list)
    actors_all: list[str] = Field(default_factory=list)
    # "event": an actor counts for a tag only where its event is told (the
    # headline, the evidence sentence), not when mentioned further down
    actors_scope: ActorScope = "article"
    keywords_any: list[Annotated[str, AfterValidator(_has_a_word)]] = Field(default_factory=list)
    min_confidence: float = Field(0.0, ge=0.0, le=1.0)
    exclude_modalities: list[Modality] = Field(default_factory=list)
    min_figures: int | None = Field(None, ge=1)

    @field_validator("tags_any", "tags_all")
    @classmethod
    def _known_tags(cls, value: list[str], info: ValidationInfo) -> list[str]:
        known = (info.context or {}).get("known_tags")
        if known is None:
            return value
        unknown = [t for t in value if t not in known]
        if unknown:
            names = ", ".join(repr(t) for t in unknown)
            raise ValueError(f"unknown tag {names} (known tags: {', '.join(sorted(known))})")
        return value

    @field_validator("actors_any", "actors_all", mode="before")
    @classmethod
    def _no_yaml_booleans(cls, value: Any) -> Any:
        # unquoted, YAML reads Norway's code NO as false
        if isinstance(value, list) and any(isinstance(v, bool) for v in value):
            raise ValueError("holds true or false: YAML reads an unquoted NO (Norway) as "
                             "false; quote it: 'NO'")
        return value

    @field_validator("actors_any", "actors_all")
    @classmethod
    def _known_actors(cls, value: list[str], info: ValidationInfo) -> list[str]:
        known = (info.context or {}).get(KNOWN_ACTORS)
        if not isinstance(known, KnownActors):
            return value  # re-reading what was saved: an entry is not dropped for this
        problem = known.problem(value)
        if problem is not None:
            raise ValueError(problem)
        return value


AlertOn = Literal["story", "event", "every_version"]


def _raised_again(err: Any) -> InitErrorDetails:
    """A validation error as it was, to be raised among others."""
    details: InitErrorDetails = {"type": err["type"], "loc": err["loc"], "input": err.get("input")}
    if "ctx" in err:
        details["ctx"] = err["ctx"]
    try:
        ValidationError.from_exception_data("check", [details])
    except KeyError:  # a custom type (PydanticCustomError): kept by its message
        details = {"type": PydanticCustomError(err["type"], "{message}", {"message": err["msg"]}),
                   "loc": err["loc"], "input": err.get("input")}
    return details


def _misspelt_fields(data: dict, fields: list[str]) -> dict[Any, str]:
    """Keys beside a watchlist's fields that look like one misspelt or
    misplaced (``matches:``, ``Match:``, ``tags_any:``), with why; ignored,
    they would leave the watchlist alerting on everything."""
    found: dict[Any, str] = {}
    for key in data:
        if not isinstance(key, str) or key in fields:
            continue
        if key in MatchRule.model_fields:
            found[key] = f"{key!r} goes under 'match:'"
            continue
        folded = key.lower().replace("-", "_").strip()
        close = difflib.get_close_matches(folded, fields, n=1, cutoff=0.75)
        if close:
            found[key] = f"unknown key {shown_key(key)!r}: did you mean {close[0]!r}?"
        elif criterion := _criterion_like(folded):
            found[key] = (f"unknown key {shown_key(key)!r}: did you mean {criterion!r} "
                          "under 'match:'?")
    return found


def _criterion_like(key: str) -> str | None:
    """The match criterion ``key`` looks like a misspelling of (``tag_any``,
    ``actors``, ``min_conf``), else None. Not a bare prefix: ``tags:`` may be
    the watchlist's own labels."""
    close = difflib.get_close_matches(key, list(MatchRule.model_fields), n=1, cutoff=0.7)
    return close[0] if close else None


class Watchlist(BaseModel):
    # Extra top-level keys (description, owner, ...) are tolerated: the file
    # format may grow, and they cannot change what matches. One that looks
    # like a field misspelt (``matches:``, ``Match:``, ``alert-on:``) is
    # refused: ignored, it would leave the watchlist alerting on everything.
    model_config = ConfigDict(extra="ignore", frozen=True)

    @model_validator(mode="wrap")
    @classmethod
    def _no_misspelt_field(cls, data: Any, handler: ModelWrapValidatorHandler[Any]) -> Any:
        # JSON lets "\ud800" through; stored, it could not be shown again
        # (every read of the list was a 500) nor written to a target
        where = _lone_surrogate_at(data)
        if where is not None:
            raise ValueError(f"{where} holds a lone surrogate (a half of a UTF-16 pair), "
                             "which is not text")
        misspelt = _misspelt_fields(data, list(cls.model_fields)) if isinstance(data, dict) else {}
        if not misspelt:
            return handler(data)
        # every problem at once, not the misspelling first and the rest after
        # its fix: the rest is validated without the misspelt keys
        problems: list[InitErrorDetails] = [
            {"type": "value_error", "loc": (), "input": key, "ctx": {"error": ValueError(message)}}
            for key, message in misspelt.items()]
        try:
            handler({k: v for k, v in data.items() if k not in misspelt})
        except ValidationError as exc:
            problems += [_raised_again(err) for err in exc.errors(include_url=False)]
        raise ValidationError.from_exception_data(cls.__name__, problems)

    id: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
    name: str = Field(min_length=1)
    match: MatchRule = Field(default_factory=MatchRule)
    targets: list[Target] = Field(default_factory=list)
    # "story": one alert per story (later versions only with a new tag; the
    # rest are recorded as throttled); "event": also one per event across
    # outlets (notifier/event_groups.py); "every_version": every matching version.
    alert_on: AlertOn = "story"

    @field_validator("targets")
    @classmethod
    def _distinct_target_names(cls, targets: list[Any]) -> list[Any]:
        # Deliveries find their target by name: two targets cannot share one.
        first: dict[str, int] = {}
        for index, name in enumerate(target_names(targets)):
            if name in first:
                raise ValueError(
                    f"must have distinct names: targets[{first[name]}] and targets[{index}] "
                    f"are both named {name!r} (a target without `name` is named <type>-<n>, "
                    "n counting the targets of its type from 1)"
                )
            first[name] = index
        return targets


def _lone_surrogate_at(value: Any, path: str = "") -> str | None:
    """Where in ``value`` (a parsed document) a string holds a lone
    surrogate ("match.keywords_any[0]"), or None."""
    if isinstance(value, str):
        return None if _is_text(value) else (path or "the watchlist")
    if isinstance(value, dict):
        for key, item in value.items():
            # shown escaped: a key may hold one too
            name = str(key).encode("utf-8", "backslashreplace").decode("utf-8")
            where = f"{path}.{name}" if path else name
            if isinstance(key, str) and not _is_text(key):
                return where
            if (found := _lone_surrogate_at(item, where)) is not None:
                return found
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            if (found := _lone_surrogate_at(item, f"{path}[{index}]")) is not None:
                return found
    return None


def _is_text(value: str) -> bool:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


# --- loading ----------------------------------------------------------------


def load_watchlists(
    path: Path | str,
    *,
    env: Mapping[str, str],
    known_tags: Collection[str] | None = None,
    known_actors: KnownActors | None = None,
    addresses: AddressPolicy | None = None,
) -> list[Watchlist]:
    """Read and validate the watchlists file; raise ``WatchlistError`` on any problem.
    With ``addresses``, a target URL whose host is a literal address it refuses
    is one (``services/targets/base.py``). Tags and actors default to the
    packaged taxonomy's and gazetteer's."""
    path = Path(path)
    try:
        text = read_utf8(path)
    except OSError as exc:
        raise WatchlistError([f"{path}: cannot read: {exc.strerror or exc}"]) from None
    except NotUTF8 as exc:
        raise WatchlistError([str(exc)]) from None
    return parse_watchlists(text, source=str(path), env=env, known_tags=known_tags,
                            known_actors=known_actors, addresses=addresses)


def parse_watchlists(
    text: str,
    *,
    source: str = "<watchlists>",
    env: Mapping[str, str],
    known_tags: Collection[str] | None = None,
    known_actors: KnownActors | None = None,
    addresses: AddressPolicy | None = None,
) -> list[Watchlist]:
    try:
        root, data = parse_yaml(text, source)
    except YamlSyntaxError as exc:
        raise WatchlistError([str(exc)]) from None

    items = data.get("watchlists") if isinstance(data, dict) else None
    if not isinstance(items, list):
        raise WatchlistError([f"{source}: expected a top-level 'watchlists:' list"])

    problems: list[str] = []
    watchlists: list[Watchlist] = []
    first_line_of: dict[str, int | None] = {}
    context: dict[str, Any] = {
        "known_tags": frozenset(known_tag_ids() if known_tags is None else known_tags),
        KNOWN_ACTORS: packaged_actors() if known_actors is None else known_actors,
        ADDRESS_POLICY: addresses,
    }
    for index, item in enumerate(items):
        report = _Reporter(problems, source, root, index, _label(item, index))
        watchlist = _validate_one(item, env, context, report)
        if watchlist is None:
            continue
        if watchlist.id in first_line_of:
            report(["id"], f"is a duplicate (first used at line {first_line_of[watchlist.id]})")
            continue
        first_line_of[watchlist.id] = line_of(root, ["watchlists", index])
        watchlists.append(watchlist)

    if problems:
        raise WatchlistError(problems)
    return watchlists


@dataclass
class _Reporter:
    """Adds "<file>: watchlist 'x' (line n): <field> <message>" to ``problems``."""

    problems: list[str]
    source: str
    root: yaml.Node | None
    index: int
    label: str

    def __call__(self, loc: Sequence[str | int], message: str) -> None:
        line = line_of(self.root, ["watchlists", self.index, *loc])
        where = f" (line {line})" if line else ""
        self.problems.append(f"{self.source}: {self.label}{where}: {_join(loc, message)}")


def _validate_one(
    item: Any, env: Mapping[str, str], context: dict[str, Any], report: _Reporter
) -> Watchlist | None:
    """The watchlist, or None after reporting every problem it has."""
    if not isinstance(item, dict):
        report([], "must be a mapping with id, name, match and targets")
        return None
    expanded, gaps = _expand(item, env, (), report)
    try:
        watchlist = Watchlist.model_validate(expanded, context=context)
    except ValidationError as exc:
        for err in exc.errors():
            loc = field_location(err["loc"])
            if err["type"] in ("union_tag_invalid", "union_tag_not_found"):
                loc = [*loc, "type"]
            if tuple(loc) not in gaps:  # already reported as a missing variable
                report(loc, error_message(err))
        return None
    return None if gaps else watchlist


# --- helpers: environment expansion -------------------------------------------


def _expand(
    value: Any, env: Mapping[str, str], loc: tuple[str | int, ...], report: Any
) -> tuple[Any, set[tuple[str | int, ...]]]:
    """``value`` with ``${VAR}`` replaced in every string, and the locs that had a gap.

    A gap is reported here and left empty, so validation still runs and finds
    the file's other problems in the same pass.
    """
    if isinstance(value, str):
        result, missing = expand_env(value, env)
        for name in missing:
            report(loc, f"refers to environment variable {name}, which is not set")
        return result, ({loc} if missing else set())
    gaps: set[tuple[str | int, ...]] = set()
    if isinstance(value, dict):
        out: dict[Any, Any] = {}
        for key, sub in value.items():
            out[key], sub_gaps = _expand(sub, env, (*loc, key), report)
            gaps |= sub_gaps
        return out, gaps
    if isinstance(value, list):
        items = []
        for i, sub in enumerate(value):
            expanded, sub_gaps = _expand(sub, env, (*loc, i), report)
            items.append(expanded)
            gaps |= sub_gaps
        return items, gaps
    return value, gaps


# --- helpers: error messages ------------------------------------------------


def _label(item: Any, index: int) -> str:
    if isinstance(item, dict) and isinstance(item.get("id"), str) and item["id"]:
        return f"watchlist {item['id']!r}"
    return f"watchlist #{index}"


def field_location(loc: Sequence[str | int]) -> list[str | int]:
    """Pydantic's loc without the discriminator step it adds inside unions."""
    out: list[str | int] = []
    for i, part in enumerate(loc):
        if part in TARGET_TYPES and i > 0 and isinstance(loc[i - 1], int):
            continue
        out.append(part)
    return out


# Models whose unknown keys are refused, by the name the raw loc shows for
# them (a target type's name, the discriminator pydantic adds).
_MODEL_AT = {"match": MatchRule} | {name: t.config for name, t in TARGET_TYPES.items()}


def error_message(err: Mapping[str, Any]) -> str:
    kind = err["type"]
    if kind == "missing":
        return "is required"
    if kind in ("union_tag_invalid", "union_tag_not_found"):
        return f"must be one of: {', '.join(TARGET_TYPES)}"
    if kind == "extra_forbidden":
        # The raw loc still has the discriminator ("webhook") inside targets.
        parent = err["loc"][-2] if len(err["loc"]) > 1 else None
        model = _MODEL_AT.get(parent) if isinstance(parent, str) else None
        if model is None:
            return "is not a known field"
        return f"is not a known field (allowed: {', '.join(model.model_fields)})"
    # Our validators' messages arrive as "Value error, <ours>".
    return str(err["msg"]).removeprefix("Value error, ")


def field_path(loc: Sequence[str | int]) -> str:
    """``targets[0].secret``: where a problem is, keys as ``shown_key``."""
    path = ""
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else (
            f".{shown_key(part)}" if path else shown_key(part))
    return path


def _join(loc: Sequence[str | int], message: str) -> str:
    field = field_path(loc)
    if not field:
        return message
    # Predicates read as a sentence ("secret must ..."); pydantic's own
    # messages ("Input should be ...") read better after a colon.
    joiner = " " if message.startswith(("must ", "is ", "refers ")) else ": "
    return f"{field}{joiner}{message}"
