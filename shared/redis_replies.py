"""Reading Redis replies as text.

Clients are built without ``decode_responses`` (stream payloads are bytes
and stay bytes), so names, ids and hash fields come back as bytes; a fake or
a client built otherwise gives str. These accept both.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

M = TypeVar("M", bound=BaseModel)


def as_str(value: bytes | str) -> str:
    """``value`` as text. Bytes that are not UTF-8 (never written by us) are
    shown with replacement characters rather than stopping a listing."""
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else value


def as_str_dict(raw: Mapping[Any, Any]) -> dict[str, str]:
    """A hash reply (HGETALL) with its fields and values as text."""
    return {as_str(k): as_str(v) for k, v in raw.items()}


def parse_json_hash(raw: Mapping[Any, Any], model: type[M]) -> dict[str, M]:
    """A hash of JSON values (HGETALL) as models by field; a value that does
    not parse is left out (a broken entry must not stop the others)."""
    parsed = {}
    for key, value in raw.items():
        try:
            parsed[as_str(key)] = model.model_validate_json(value)
        except ValidationError:
            continue
    return parsed
