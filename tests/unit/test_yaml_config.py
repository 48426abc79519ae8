"""The YAML helpers behind the watchlists and feeds files."""

from __future__ import annotations

import pytest
from watchfloor.shared.yaml_config import YamlSyntaxError, expand_env, line_of, parse_yaml


def test_env_references_are_expanded_and_missing_ones_named():
    assert expand_env("${HOST}/hook", {"HOST": "https://a"}) == ("https://a/hook", [])
    assert expand_env("$${HOST} stays", {}) == ("${HOST} stays", [])
    assert expand_env("${A}-${B}", {"A": "x"}) == ("x-", ["B"])


def test_line_of_finds_the_deepest_existing_node():
    root, data = parse_yaml("items:\n  - id: a\n  - id: b\n    url: x\n", "f.yaml")
    assert data["items"][1]["url"] == "x"
    assert line_of(root, ["items", 1, "url"]) == 4
    assert line_of(root, ["items", 1, "missing"]) == 3  # falls back to the item
    assert line_of(root, ["nothing"]) is None


def test_syntax_error_names_source_and_line():
    with pytest.raises(YamlSyntaxError, match=r"^f\.yaml \(line 2\): "):
        parse_yaml("a: [1, 2\nb: c\n", "f.yaml")


def test_a_key_given_twice_is_refused_with_both_lines():
    # loaders keep the last silently: a second match: would widen a watchlist
    text = "watchlists:\n  - id: a\n    match: {tags_any: [x]}\n    name: A\n    match: {}\n"
    with pytest.raises(YamlSyntaxError,
                       match=r"^f\.yaml \(line 5\): 'match' is given twice .*first on line 3"):
        parse_yaml(text, "f.yaml")


def test_merge_keys_may_be_overridden_without_counting_as_repeated():
    _, data = parse_yaml("base: &b {x: 1, y: 2}\nc:\n  <<: *b\n  x: 3\n", "f.yaml")
    assert data["c"] == {"x": 3, "y": 2}


@pytest.mark.parametrize("value", ["!Xk9-SMTP-PASSWORD", "*Xk9-SMTP-PASSWORD"])
def test_an_unquoted_secret_read_as_a_tag_or_alias_is_not_echoed(value):
    with pytest.raises(YamlSyntaxError) as caught:
        parse_yaml(f"targets:\n  - password: {value}\n", "f.yaml")
    assert "Xk9" not in str(caught.value)
    assert str(caught.value).startswith("f.yaml (line 2): an unknown YAML tag or alias: quote")
