"""The installed distribution claims only the ``watchfloor`` name."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _declared() -> tuple[list[str], dict[str, str]]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    return config["packages"], config["package-dir"]


def test_every_package_folder_is_installed_under_watchfloor() -> None:
    packages, package_dir = _declared()
    on_disk = set()
    for name, folder in package_dir.items():
        for init in (ROOT / folder).rglob("__init__.py"):
            relative = init.parent.relative_to(ROOT / folder)
            on_disk.add(".".join([name, *relative.parts]))
    assert set(packages) == on_disk, "pyproject.toml [tool.setuptools] packages is out of date"
    assert all(p.startswith("watchfloor.") for p in packages)


def test_code_imports_only_through_the_watchfloor_name() -> None:
    # From the repository root a bare `import services` would still work, and
    # then fail once installed: catch it here.
    bare = re.compile(r"^\s*(from|import)\s+(services|shared)\b", re.M)
    offenders = [
        str(path.relative_to(ROOT))
        for top in ("services", "shared", "tests")
        for path in (ROOT / top).rglob("*.py")
        if bare.search(path.read_text())
    ]
    assert offenders == []
