"""Log settings: only the documented levels and formats are taken."""

from __future__ import annotations

import io

import pytest
from pydantic import ValidationError
from watchfloor.shared.logging import configure_logging, get_logger
from watchfloor.shared.settings import Settings


@pytest.mark.parametrize(("given", "taken"), [("JSON", "json"), ("Console", "console"),
                                             ("auto", "auto"), (" json ", "json")])
def test_log_format_accepts_the_documented_values_in_any_case(given, taken):
    assert Settings(_env_file=None, log_format=given).log_format == taken


@pytest.mark.parametrize(("given", "taken"), [("debug", "DEBUG"), ("Warning", "WARNING"),
                                             ("ERROR", "ERROR")])
def test_log_level_accepts_real_levels_in_any_case(given, taken):
    assert Settings(_env_file=None, log_level=given).log_level == taken


@pytest.mark.parametrize(("field", "value", "named"), [
    ("log_format", "xml", "auto, json, console"),
    ("log_format", "", "auto, json, console"),
    ("log_level", "bogus", "DEBUG, INFO, WARNING, ERROR, CRITICAL"),
    ("log_level", "NOTSET", "DEBUG, INFO, WARNING, ERROR, CRITICAL"),
])
def test_an_unknown_log_setting_is_refused_with_the_accepted_values(field, value, named):
    with pytest.raises(ValidationError) as caught:
        Settings(_env_file=None, **{field: value})
    assert f"unknown log {field.removeprefix('log_')} {value!r}" in str(caught.value)
    assert named in str(caught.value)


def test_configure_logging_refuses_what_settings_would_refuse():
    with pytest.raises(ValueError, match="unknown log format 'xml'"):
        configure_logging("INFO", "xml")


def test_json_format_writes_json_lines_at_the_level_given():
    out = io.StringIO()
    configure_logging("warning", "JSON", stream=out)
    get_logger("t").info("hidden")
    get_logger("t").warning("shown", article_id="a-1")
    assert out.getvalue().count("\n") == 1
    assert '"event": "shown"' in out.getvalue() and '"article_id": "a-1"' in out.getvalue()
