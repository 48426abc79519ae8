"""Reading the YAML configuration files users write (watchlists, feeds).

What they share: one parse giving both values and line numbers, a syntax
error reported with its line, the line of any field for error messages, and
``${VAR}`` expansion from an environment mapping handed in (``$${`` writes a
literal ``${``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

import yaml
from watchfloor.shared.errors import ConfigError

_ENV_REF = re.compile(r"\$\$\{|\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


class YamlSyntaxError(ConfigError, ValueError):
    """The text is not valid YAML; the message names the source and line."""


def parse_yaml(text: str, source: str) -> tuple[yaml.Node | None, Any]:
    """(node tree for line numbers, plain values). A key given twice in one
    mapping is refused: YAML loaders keep the last silently, and a second
    ``match:`` further down would widen a watchlist without a word."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        _refuse_repeated_keys(root, source)
        return root, yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1})" if mark is not None else ""
        problem = getattr(exc, "problem", None) or "invalid YAML"
        if isinstance(exc, yaml.constructor.ConstructorError) or "alias" in problem:
            # PyYAML quotes the tag or alias: an unquoted secret starting with
            # "!" or "*" would be echoed into an error and the logs
            problem = ("an unknown YAML tag or alias: quote values that start with "
                       "! * & or @")
        raise YamlSyntaxError(f"{source}{where}: {problem}") from None


_MERGE_TAG = "tag:yaml.org,2002:merge"


def _refuse_repeated_keys(root: yaml.Node | None, source: str) -> None:
    stack, seen_nodes = [root], set()
    while stack:
        node = stack.pop()
        if node is None or id(node) in seen_nodes:  # aliases share nodes
            continue
        seen_nodes.add(id(node))
        if isinstance(node, yaml.MappingNode):
            first_line: dict[str, int] = {}
            for key, value in node.value:
                if isinstance(key, yaml.ScalarNode) and key.tag != _MERGE_TAG:
                    line = key.start_mark.line + 1
                    if key.value in first_line:
                        raise YamlSyntaxError(
                            f"{source} (line {line}): {shown_key(key.value)!r} is given twice in one "
                            f"mapping (first on line {first_line[key.value]}); keep one")
                    first_line[key.value] = line
                stack += [key, value]
        elif isinstance(node, yaml.SequenceNode):
            stack += node.value


# A key's leading name, and what gives a key away as a secret pasted whole
# ("whsec_...", a long token with a digit in it).
_KEY_NAME = re.compile(r"[\w.-]{1,40}")
_SECRET_LIKE = re.compile(r"^whsec_|(?=[\w+/-]*\d)[\w+/-]{32,}")


def shown_key(key: str) -> str:
    """A key as an error shows it. ``{secret:whsec_...}`` or ``password
    hunter2`` (no space after the colon, or no colon) is one key holding the
    secret, and the error naming it went to the logs and the editor: a key
    is shown as written only when it is a plain name, else up to where the
    name ends, and not at all when it looks like a secret."""
    if _SECRET_LIKE.search(key):
        return "… (a key that looks like a secret: not shown)"
    name = _KEY_NAME.match(key)
    head = name.group() if name else ""
    if head == key:
        return key
    return f"{head}… (the rest is not shown, it may be a value: a colon or a space missing?)"


def line_of(root: yaml.Node | None, loc: Sequence[str | int]) -> int | None:
    """Line (1-based) of the deepest node on ``loc`` that exists."""
    best: int | None = None
    node = root
    for part in loc:
        if isinstance(node, yaml.MappingNode) and isinstance(part, str):
            node = next((v for k, v in node.value if k.value == part), None)
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
            node = node.value[part] if part < len(node.value) else None
        else:
            node = None
        if node is None:
            break
        best = node.start_mark.line + 1
    return best


def expand_env(value: str, env: Mapping[str, str]) -> tuple[str, list[str]]:
    """``value`` with ``${VAR}`` replaced, and the names that were not set
    (replaced by nothing, so validation can go on and find other problems)."""
    missing: list[str] = []

    def substitute(m: re.Match[str]) -> str:
        if m.group(1) is None:  # "$${" escape
            return "${"
        if m.group(1) not in env:
            missing.append(m.group(1))
            return ""
        return env[m.group(1)]

    return _ENV_REF.sub(substitute, value), missing
