"""Why an input article was refused, in words a person sending it can act on.

Both ways in (files and HTTP) report the same ``Problem`` objects; only the
place differs (``file:line`` for files, the batch index for HTTP).
"""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import ValidationError
from watchfloor.shared.errors import InvalidInput


@dataclass(frozen=True)
class Problem:
    """One thing wrong with one input article. ``field`` is None for the whole item."""

    field: str | None
    message: str

    def __str__(self) -> str:
        return f"{self.field}: {self.message}" if self.field else self.message


class ArticleRejected(InvalidInput, ValueError):
    """An input article that can never be ingested as it is (not worth retrying)."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("; ".join(str(p) for p in problems))


# pydantic's default messages read like type errors ("Input should be a valid
# string"); these are the ones a sender hits most, said plainly.
_FRIENDLY = {
    "missing": "is required",
    "string_type": "must be a string",
    "model_type": "must be a JSON object",
    "dict_type": "must be a JSON object",
    "string_too_long": "is too long",
}


def problems_from_validation(exc: ValidationError) -> list[Problem]:
    problems = []
    for err in exc.errors(include_url=False):
        field = ".".join(str(part) for part in err["loc"]) or None
        message = _FRIENDLY.get(err["type"], err["msg"])
        if err["type"] == "string_too_long":
            message = f"is too long (at most {err['ctx']['max_length']} characters)"
        elif err["type"] == "value_error":
            # our own validators: drop pydantic's "Value error, " prefix
            message = str(err["ctx"]["error"])
        problems.append(Problem(field, message))
    return problems


def json_type_name(value: object) -> str:
    """The JSON name of a decoded value's type, for messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    return "an object" if isinstance(value, dict) else type(value).__name__
