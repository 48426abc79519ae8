"""Which target a delivery goes to: the loaded watchlists' targets by name.

A delivery names its target by (its alert's watchlist id, the target's name)
(``services/targets``: a target's ``name``, else ``<type>-<n>``). The name
outlives edits of the target's URL and secret, so a waiting retry, or a
failed delivery replayed after a fix, reaches the target as it is configured
*now*. A target that is gone (its watchlist deleted, or no target of that
name any more) ends its deliveries as failed: ``target_removed``.

Deliveries written before targets had names (schema 1) carry the target's
place (``target_index``) and a hash of its type and URL (``target_key``).
They are matched to the target with that type and URL, or, for the oldest
ones that have no key, to the target at that place, and upgraded to name it
(same delivery id: receivers still see one ``webhook-id``). One whose URL
changed since cannot be told from another target: it fails as
``unknown_target`` and stays in the failed deliveries with its alert.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import SecretStr
from watchfloor.services.targets import Target, target_names
from watchfloor.services.watchlists.model import Watchlist
from watchfloor.shared.schemas import DELIVERY_SCHEMA_VERSION, Delivery

#: Failure labels (``permanent: <label>``, metric ``delivery_failed:<label>``).
TARGET_REMOVED = "target_removed"
UNKNOWN_TARGET = "unknown_target"


@dataclass(frozen=True)
class Missing:
    """Why a delivery has no target: ``TARGET_REMOVED`` or ``UNKNOWN_TARGET``."""

    label: str


def legacy_target_key(target: Any) -> str | None:
    """The ``target_key`` schema 1 deliveries carry: a hash of type and URL
    (None for a type without a ``url``: none existed then)."""
    url = getattr(target, "url", None)
    if isinstance(url, SecretStr):
        url = url.get_secret_value()
    if not isinstance(url, str):
        return None
    return hashlib.sha256(f"{target.type}\x1f{url}".encode()).hexdigest()[:16]


class TargetDirectory:
    """The targets of one set of watchlists, by (watchlist id, target name)."""

    def __init__(self, watchlists: Sequence[Watchlist]) -> None:
        self._by_watchlist: dict[str, list[tuple[str, Target]]] = {
            w.id: list(zip(target_names(w.targets), w.targets, strict=True)) for w in watchlists
        }
        self._targets = {
            (wid, name): target for wid, named in self._by_watchlist.items() for name, target in named
        }

    def get(self, watchlist_id: str, name: str) -> Target | None:
        """The target as configured now, or None when it is gone."""
        return self._targets.get((watchlist_id, name))

    def resolve(self, delivery: Delivery) -> Delivery | Missing:
        """``delivery`` naming a target that exists (a schema 1 one upgraded),
        or why there is none."""
        watchlist_id = delivery.alert.watchlist_id
        if delivery.target_name is not None:
            if (watchlist_id, delivery.target_name) in self._targets:
                return delivery
            return Missing(TARGET_REMOVED)
        named = self._by_watchlist.get(watchlist_id)
        if named is None:
            return Missing(TARGET_REMOVED)  # the whole watchlist was deleted
        name = _schema1_match(delivery, named)
        if name is None:
            return Missing(UNKNOWN_TARGET)
        return delivery.model_copy(
            update={
                "schema_version": DELIVERY_SCHEMA_VERSION,
                "target_name": name,
                "target_index": None,
                "target_key": None,
            }
        )


def _schema1_match(delivery: Delivery, named: list[tuple[str, Target]]) -> str | None:
    if delivery.target_key is not None:
        return next(
            (name for name, t in named if legacy_target_key(t) == delivery.target_key), None
        )
    index = delivery.target_index
    if index is not None and index < len(named):
        return named[index][0]
    return None
