"""Targets whose URL is the credential (Slack, Teams workflows): whoever has
the URL can post. The config holds it as ``SecretStr``; the API shows
``"url_set": true`` only, and a PUT without ``url`` keeps the stored URL of
the target of that type that goes by the same name (its ``name``, else
``<type>-<n>`` by its place: the shown view has nothing else to match on).

A type module subclasses both: ``class TeamsTarget(SecretUrlTarget)`` with
its ``type: Literal[...]``, and ``class TeamsType(SecretUrlType)`` with its
``name``, ``config`` and ``send``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

from pydantic import SecretStr, field_validator
from watchfloor.services.targets.base import TargetConfig, check_http_url


class SecretUrlTarget(TargetConfig):
    url: SecretStr

    @field_validator("url")
    @classmethod
    def _check_url(cls, value: SecretStr) -> SecretStr:
        check_http_url(value.get_secret_value())
        return value


class SecretUrlType:
    markers: ClassVar[frozenset[str]] = frozenset({"url_set"})

    def redacted(self, target: SecretUrlTarget) -> dict[str, Any]:
        return {"url_set": True}

    def carry_over(
        self, sent: Sequence[dict[str, Any]], stored: Sequence[SecretUrlTarget]
    ) -> list[dict[str, Any]]:
        # By the name a target goes by (its own, else "<type>-<n>"), never by
        # place alone: with named targets removed or reordered, place gave
        # one channel's URL to another.
        by_name = {old.name or f"{old.type}-{place}": old
                   for place, old in enumerate(stored, start=1)}
        restored = []
        for place, target in enumerate(sent, start=1):
            name = target.get("name")
            old = by_name.get(name if isinstance(name, str) else f"{target.get('type')}-{place}")
            # an unnamed target takes only an unnamed one's URL, at its place
            if "url" not in target and old is not None and (name is not None or old.name is None):
                target = {**target, "url": old.url.get_secret_value()}
            restored.append(target)
        return restored
