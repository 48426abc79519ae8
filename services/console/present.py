"""How an alert's parts are shown: the evidence with its triggers marked, figures.

Pure functions; the templates escape every piece of text they are given.
"""

from __future__ import annotations

from watchfloor.shared.schemas import Figure, TagMatch
from watchfloor.shared.spans import merge_spans

Segment = tuple[str, bool]  # (text, is a trigger)


def evidence_segments(tag: TagMatch) -> list[Segment]:
    """The evidence sentence cut into plain and trigger pieces, from the
    offsets: a trigger counts when it lies inside the evidence span of the
    same field and its text is what the span holds there (else it is left
    unmarked rather than marking the wrong words)."""
    span = tag.evidence_span
    if span is None:
        return [(tag.evidence, False)]
    text = span.text
    ranges = []
    for trigger in tag.triggers:
        start, end = trigger.start - span.start, trigger.end - span.start
        if (trigger.field == span.field and 0 <= start < end <= len(text)
                and text[start:end] == trigger.text):
            ranges.append((start, end))
    segments: list[Segment] = []
    at = 0
    for start, end in merge_spans(ranges):
        if start > at:
            segments.append((text[at:start], False))
        segments.append((text[start:end], True))
        at = end
    if at < len(text):
        segments.append((text[at:], False))
    return segments


def _number(value: float) -> str:
    return f"{value:,.0f}" if abs(value) >= 10 or value == int(value) else f"{value:,.2g}"


def figure_label(figure: Figure) -> str:
    """"troops 10,000–12,000", "money ~2,500,000 USD", "missiles 1"."""
    if figure.low is not None and figure.high is not None and figure.low != figure.high:
        amount = f"{_number(figure.low)}–{_number(figure.high)}"
    else:
        amount = _number(figure.value)
    approx = "~" if figure.approximate else ""
    unit = f" {figure.unit}" if figure.unit else ""
    return f"{figure.kind} {approx}{amount}{unit}"
