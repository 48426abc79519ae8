"""Targets whose URL is the credential (Slack, Teams workflows): whoever has
the URL can post. The config holds it as ``SecretStr``; the API shows
``"url_set": true`` only, and a PUT without ``url`` keeps the stored URL of
the target of that type in the same place among that type's targets (the
shown view has nothing else to match on).

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
        return [
            {**target, "url": stored[place].url.get_secret_value()}
            if "url" not in target and place < len(stored) else target
            for place, target in enumerate(sent)
        ]
