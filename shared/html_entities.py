"""HTML character references in text that reached us through HTML or feeds.

Only references closed by ``;`` are decoded: ``html.unescape`` alone would
also turn legacy forms without ``;`` ("&para", "&copy") inside ordinary
words ("&paragraph") into symbols. Used by normalisation (articles) and by
the Slack target (whatever text it shows is decoded before it is escaped,
so an encoded ``&lt;!channel&gt;`` can never come out as a live mention).
"""

from __future__ import annotations

import html
import re

_ENTITY = re.compile(r"&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});")


def decode_entities(text: str) -> str:
    """``text`` with every ``;``-terminated character reference decoded once."""
    if "&" not in text:
        return text
    return _ENTITY.sub(lambda m: html.unescape(m.group(0)), text)
