"""Target types: where alerts go. One module per type, listed in ``REGISTERED``.

Each module (``webhook.py``, ``slack.py``) defines its config model and a
``TARGET`` implementing ``base.TargetType``: redacted view, secret
carry-over, payload and send. From the registered types this module builds
what the rest of the code uses, so none of it names a type:

- ``Target``, the pydantic discriminated union a watchlist's ``targets`` hold;
- ``TARGET_TYPES`` (name -> type) and ``type_of(target)``;
- ``target_names(targets)``: the name each target of a watchlist goes by;
- ``redacted(target)`` and ``carry_over(sent, stored)`` for the
  watchlists API.

This part stands on ``shared`` only: the watchlists (which validate targets)
and the notifier (which sends to them) both import it, so it can import
neither.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from importlib import import_module
from typing import Annotated, Any, Union, get_args

from pydantic import Field
from watchfloor.services.targets.base import TargetConfig, TargetType

#: The registered target types, by module name. Adding a type is its module
#: in this package plus one line here.
REGISTERED = (
    "webhook",
    "slack",
    "teams",
    "alertmanager",
    "email",
)


def by_name(types: Iterable[TargetType[Any]]) -> dict[str, TargetType[Any]]:
    """The types by name, once each checked: its config's ``type`` must be
    ``Literal[name]``, or the union below would route to the wrong model."""
    registry: dict[str, TargetType[Any]] = {}
    for target_type in types:
        declared = get_args(target_type.config.model_fields["type"].annotation)
        if declared != (target_type.name,):
            raise TypeError(
                f"target type {target_type.name!r}: its config's `type` must be "
                f"Literal[{target_type.name!r}], not {declared}"
            )
        if target_type.name in registry:
            raise TypeError(f"target type {target_type.name!r} is registered twice")
        registry[target_type.name] = target_type
    return registry


def union_of(types: Iterable[TargetType[Any]]) -> Any:
    """The pydantic union of the types' config models, chosen by ``type``."""
    configs = tuple(t.config for t in types)
    return Annotated[Union[configs], Field(discriminator="type")]  # noqa: UP007 - built at run time


TARGET_TYPES = by_name(import_module(f"{__name__}.{module}").TARGET for module in REGISTERED)

#: A watchlist target: the config model of the type its ``type`` names.
Target = union_of(TARGET_TYPES.values())


def type_of(target: TargetConfig) -> TargetType[Any]:
    return TARGET_TYPES[target.type]


def target_names(targets: Sequence[TargetConfig]) -> list[str]:
    """The name each of a watchlist's targets goes by, in order: its own
    ``name``, else ``<type>-<n>`` with n its place among the targets of that
    type, from 1 (named ones count too). So a default name does not change
    when the target's URL or secret does; it does when targets of its type
    are added before it, removed or reordered (give names to avoid that)."""
    seen: Counter[str] = Counter()
    names = []
    for target in targets:
        seen[target.type] += 1
        names.append(target.name or f"{target.type}-{seen[target.type]}")
    return names


def rate_of(target: TargetConfig) -> float | None:
    """Sends a second allowed to ``target``: its ``rate_per_s``, else its
    type's ``default_rate_per_s`` (a type may leave it out), else None (no limit)."""
    if target.rate_per_s is not None:
        return target.rate_per_s
    default: float | None = getattr(type_of(target), "default_rate_per_s", None)
    return default


def redacted(target: TargetConfig) -> dict[str, Any]:
    """What the API shows of a target: its type, name and rate (those it was
    given), then what the type deems safe (never a secret)."""
    given = {k: v for k in ("name", "rate_per_s") if (v := getattr(target, k)) is not None}
    return {"type": target.type, **given, **type_of(target).redacted(target)}


def carry_over(sent: list[Any], stored: Sequence[TargetConfig]) -> list[Any]:
    """The targets of a PUT body with the stored secrets put back where the
    client left them out (responses never show secrets, so what was read can
    be PUT back as is). Each type matches its own targets (``carry_over``);
    the markers responses show in place of secrets are dropped. Anything
    that is not a target of a known type is left for validation to refuse."""
    markers = frozenset().union(*(t.markers for t in TARGET_TYPES.values()))
    targets = [
        {k: v for k, v in item.items() if k not in markers} if isinstance(item, dict) else item
        for item in sent
    ]
    for name, target_type in TARGET_TYPES.items():
        places = [
            i for i, t in enumerate(targets) if isinstance(t, dict) and t.get("type") == name
        ]
        if not places:
            continue
        restored = target_type.carry_over(
            [targets[i] for i in places], [t for t in stored if t.type == name]
        )
        for i, target in zip(places, restored, strict=True):
            targets[i] = target
    return targets
