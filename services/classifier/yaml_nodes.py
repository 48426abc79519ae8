"""``yaml.compose`` in C when PyYAML was built with libyaml.

The taxonomy and gazetteer are validated on their node trees; composing
them in pure Python was most of a classifier's start-up (~0.45 s of a
``watchfloor classify`` run). libyaml gives the same nodes and lines. A file
it rejects is composed again in Python, so a YAML error reads the same either
way (with the offending line quoted).
"""

from __future__ import annotations

import yaml

_C_LOADER = getattr(yaml, "CSafeLoader", None)


def compose(text: str) -> yaml.Node | None:
    if _C_LOADER is not None:
        try:
            return yaml.compose(text, Loader=_C_LOADER)
        except yaml.YAMLError:
            pass
    return yaml.compose(text)
