"""The classifier's compiled modules: used when built from these very sources.

``make native`` (part of ``make install``) compiles the modules that do the
classifier's per-item work with mypyc into ``_native/``, with a manifest of
the sources' hashes. The package puts that folder first on its ``__path__``
only while every hash still matches, so an edited source is never shadowed by
an old build: it runs as Python until the next ``make native``. Without a
build (no compiler, a wheel install, another Python) everything runs as
Python, with the same output.

``python -X watchfloor-pure ...`` runs the Python sources even when a build is
fresh (the tests compare the two).
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import sys
import sysconfig
from pathlib import Path

# the modules that do the per-item work (never this one, nor the package's
# __init__, which decide whether the build is used)
COMPILED = ("actors", "concepts", "engine", "features", "learned", "matcher", "sentences",
            "verifier")
BUILD_DIR = "_native"
MANIFEST = "manifest.json"
PURE_OPTION = "watchfloor-pure"


def build_tag() -> str:
    """What a build is only valid for: this interpreter's extension suffix."""
    return sysconfig.get_config_var("EXT_SUFFIX") or ""


def source_digests(package_dir: Path) -> dict[str, str]:
    return {name: hashlib.sha256((package_dir / f"{name}.py").read_bytes()).hexdigest()
            for name in COMPILED}


def _fresh_manifest(package_dir: Path) -> dict | None:
    """The build's manifest when it matches this interpreter and the sources
    as they are now, and its runtime is there; else None."""
    folder = package_dir / BUILD_DIR
    try:
        manifest = json.loads((folder / MANIFEST).read_text())
        if manifest["tag"] != build_tag() or manifest["sources"] != source_digests(package_dir):
            return None
        if not (folder / manifest["runtime_file"]).is_file():
            return None
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return manifest


def fresh_build(package_dir: Path) -> Path | None:
    """The build folder when it is fresh (``_fresh_manifest``), else None."""
    return package_dir / BUILD_DIR if _fresh_manifest(package_dir) is not None else None


def native_path(path: list[str], package_dir: Path) -> tuple[list[str], bool]:
    """The package's ``__path__`` with a fresh build first, and whether it is."""
    if PURE_OPTION in sys._xoptions:
        return path, False
    manifest = _fresh_manifest(package_dir)
    if manifest is None:
        return path, False
    folder = package_dir / BUILD_DIR
    runtime_file = manifest["runtime_file"]
    name = runtime_file.removesuffix(manifest["tag"])
    if name not in sys.modules:
        # mypyc's shared runtime is imported by the compiled modules as a
        # top-level module: load it from the build folder, not sys.path
        spec = importlib.util.spec_from_file_location(name, folder / runtime_file)
        if spec is None or spec.loader is None:
            return path, False
        module = importlib.util.module_from_spec(spec)
        try:
            spec.loader.exec_module(module)
        except ImportError:
            return path, False
        sys.modules[name] = module
    return [str(folder), *path], True
