"""Checks of the files a command is given, made before it does any work: a
mistyped path is one line and exit 2, not a traceback after the work (for
``label``, after the officer's answer)."""

from __future__ import annotations

from pathlib import Path


def input_problem(path: Path, what: str) -> str | None:
    """Why ``path`` cannot be read as ``what`` ("input file"), or None."""
    if path.is_dir():
        return f"{path} is a directory"
    if not path.is_file():
        return f"{what} not found: {path}"
    return None


def output_problem(path: Path) -> str | None:
    """Why ``path`` cannot be opened for writing, or None. It is opened to
    append and closed: a file already there is left as it was, one the check
    made is removed."""
    if not path.parent.is_dir():
        return f"cannot write {path}: no folder {path.parent}"
    if path.exists() and not path.is_file() and not path.is_dir():
        return None  # a pipe or device: opening it now would end its reader's input
    existed = path.exists()
    try:
        path.open("a").close()
    except OSError as exc:
        return f"cannot write {path}: {exc.strerror or exc}"
    if not existed:
        path.unlink()
    return None
