"""The installed version of watchfloor (pyproject.toml's, once installed)."""

from __future__ import annotations


def installed_version() -> str:
    """Read when asked: the lookup scans the installed distributions (~30 ms)."""
    from importlib import metadata

    try:
        return metadata.version("watchfloor")
    except metadata.PackageNotFoundError:
        return "unknown (not installed)"
