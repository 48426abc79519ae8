"""Plain text from an HTML fragment (feed summaries, article bodies).

Deliberately small: tags dropped, script/style skipped, block elements
turned into paragraph breaks, entities decoded. It does not find the main
content of a whole web page (boilerplate removal); ``normalise_text`` tidies
the whitespace afterwards.
"""

from __future__ import annotations

from html.parser import HTMLParser

from watchfloor.services.ingest.normalise import normalise_text

_BLOCKS = frozenset(
    {
        "address", "article", "aside", "blockquote", "br", "dd", "div", "dl", "dt",
        "figcaption", "footer", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "li",
        "main", "nav", "ol", "p", "pre", "section", "table", "td", "th", "tr", "ul",
    }
)  # fmt: skip
_SKIPPED = frozenset({"script", "style", "noscript", "template", "head"})


class _TextExtractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip_depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIPPED:
            self._skip_depth += 1
        elif tag in _BLOCKS:
            self.parts.append("\n\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIPPED:
            self._skip_depth = max(0, self._skip_depth - 1)
        elif tag in _BLOCKS:
            self.parts.append("\n\n")

    def handle_data(self, data: str) -> None:
        if not self._skip_depth:
            self.parts.append(data)


def looks_like_html(value: str) -> bool:
    return "<" in value and ">" in value


def html_to_text(value: str) -> str:
    """Normalised text of an HTML fragment; plain text passes through normalised."""
    if not looks_like_html(value):
        return normalise_text(value)
    extractor = _TextExtractor()
    extractor.feed(value)
    extractor.close()
    return normalise_text("".join(extractor.parts))
