"""Reading a file a user wrote: its text, or a message that says which file
is not UTF-8 and where (a file saved as Latin-1 or Windows-1252 is the usual
cause), instead of a traceback."""

from __future__ import annotations

from pathlib import Path


class NotUTF8(ValueError):
    """``path`` holds bytes that are not UTF-8; the message names it and the
    byte (``detail``: the message without the path)."""

    def __init__(self, path: Path, detail: str) -> None:
        super().__init__(f"{path} {detail}")
        self.detail = detail


def read_utf8(path: Path) -> str:
    """The text of ``path`` (OSError as ``read_text`` raises it; ``NotUTF8``)."""
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise NotUTF8(path, f"is not UTF-8 text (byte {exc.start + 1}): save it as UTF-8") \
            from None
