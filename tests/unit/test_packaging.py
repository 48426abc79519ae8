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
        if not any((ROOT / folder).rglob("*.py")):
            on_disk.add(name)  # data only (the samples)
        for init in (ROOT / folder).rglob("__init__.py"):
            relative = init.parent.relative_to(ROOT / folder)
            on_disk.add(".".join([name, *relative.parts]))
    assert set(packages) == on_disk, "pyproject.toml [tool.setuptools] packages is out of date"
    assert all(p.startswith("watchfloor.") for p in packages)


def test_the_demo_s_samples_are_installed_where_the_demo_looks() -> None:
    from watchfloor.services.cli.demo import REPO_SAMPLES

    packages, package_dir = _declared()
    # installed, the demo looks in <site-packages>/watchfloor/samples
    assert REPO_SAMPLES == ROOT / "samples"
    assert "watchfloor.samples" in packages and package_dir["watchfloor.samples"] == "samples"
    data = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]
    assert {"*.jsonl", "*.yaml"} <= set(data["*"])
    assert {p.suffix for p in (ROOT / "samples").iterdir()} <= {".jsonl", ".yaml"}


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


def test_the_image_copies_every_folder_the_package_is_built_from() -> None:
    _, package_dir = _declared()
    dockerfile = (ROOT / "deploy" / "Dockerfile").read_text()
    copied = set(re.findall(r"^COPY (\S+) \./\S+$", dockerfile, re.M))
    assert set(package_dir.values()) <= copied  # else `pip install .` fails in the build
