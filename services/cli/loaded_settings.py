"""The settings a command runs with, or one line saying what is wrong with
them (exit 2). Kept apart from ``common`` (Redis, the workers) so that an
offline command (``classify``, ``eval``) does not pay for importing those."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from pydantic_settings import SettingsError
from watchfloor.shared.errors import ConfigError
from watchfloor.shared.settings import Settings, misspelt_settings
from watchfloor.shared.text_files import NotUTF8, read_utf8


class SettingsProblem(ConfigError):
    """Settings from the environment, .env or flags are invalid (exit code 2)."""


def load_settings(**values: Any) -> Settings:
    """Settings from the environment, .env and ``values``; ``SettingsProblem``
    (one line, exit 2) naming what is invalid. A variable that looks like a
    misspelt setting is warned about on stderr (settings ignore it)."""
    for warning in misspelt_settings({**_dotenv_variables(), **os.environ}):
        print(f"watchfloor: warning: {warning}", file=sys.stderr)
    try:
        return Settings(**values)
    except (ValidationError, SettingsError) as exc:
        raise SettingsProblem(describe_settings_error(exc)) from None


def _dotenv_variables() -> dict[str, str]:
    """The variables of the ``.env`` file settings read, if there is one
    (a typo there is as silent as one in the environment)."""
    env_file = Settings.model_config.get("env_file")
    if not isinstance(env_file, str | Path) or not Path(env_file).is_file():
        return {}
    from dotenv import dotenv_values

    try:
        read_utf8(Path(env_file))  # settings read it too: say what is wrong once
    except NotUTF8 as exc:
        raise SettingsProblem(f"invalid settings: {exc}") from None
    return {name: value or "" for name, value in dotenv_values(env_file).items()}


def describe_settings_error(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        problems = [
            f"{setting_at(err['loc'])}: " + err["msg"].removeprefix("Value error, ")
            for err in exc.errors()
        ]
        return "invalid settings: " + "; ".join(problems)
    return f"invalid settings: {exc}"


def setting_at(loc: tuple[int | str, ...]) -> str:
    """The variable an error location names: ("retry_schedule_s", 0) is item 1
    of WATCHFLOOR_RETRY_SCHEDULE_S (there is no WATCHFLOOR_RETRY_SCHEDULE_S_0)."""
    items = [f"item {part + 1}" for part in loc[1:] if isinstance(part, int)]
    name = str(loc[0]).upper()  # a field, or an alias that names its variable already
    return ": ".join([name if name.startswith("WATCHFLOOR_") else f"WATCHFLOOR_{name}", *items])
