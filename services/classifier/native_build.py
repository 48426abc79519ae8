"""``python -m watchfloor.services.classifier.native_build``: compile the
classifier's per-item modules with mypyc (``make native``; see native.py).

Needs mypy (the ``dev`` extra) and a C compiler. Writes
``services/classifier/_native/`` (ignored by git) with the extension modules,
mypyc's shared runtime and a manifest of the sources' hashes; exit 1, with
the reason and no build left behind, when it cannot.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import sysconfig
import tempfile
import time
from pathlib import Path

from watchfloor.services.classifier import PACKAGE_DIR
from watchfloor.services.classifier.native import (
    BUILD_DIR,
    COMPILED,
    MANIFEST,
    build_tag,
    source_digests,
)

GROUP = "watchfloor_classifier"
SOURCE_ROOT = PACKAGE_DIR.parent.parent  # the checkout: services/ and shared/


def _source_tree(into: Path) -> None:
    """services/ and shared/ under the import name they have installed, so
    mypyc names the modules ``watchfloor.services.classifier.*``."""
    ignore = shutil.ignore_patterns(BUILD_DIR, "__pycache__", "*.so", "*.pyd", "*.yaml",
                                    "*.json", "*.jsonl", "templates", "static")
    for part in ("services", "shared"):
        shutil.copytree(SOURCE_ROOT / part, into / "watchfloor" / part, ignore=ignore)
    # mypy needs a package to name the modules from; only the build sees it
    (into / "watchfloor" / "__init__.py").write_text("")


def build(target: Path = PACKAGE_DIR / BUILD_DIR) -> Path:
    try:
        from mypyc.build import mypycify
        from setuptools import setup
    except ImportError as exc:
        raise SystemExit(f"native build: needs mypy and setuptools ({exc}); "
                         "the classifier runs as Python") from None
    compiler = (os.environ.get("CC") or sysconfig.get_config_var("CC") or "cc").split()[0]
    if shutil.which(compiler) is None:
        # said before mypy's 10 s, which make test would pay on every run
        raise SystemExit(f"native build: no C compiler ({compiler!r} not found; set CC or "
                         "install gcc); the classifier runs as Python")
    digests = source_digests(PACKAGE_DIR)  # before copying: what is compiled
    with tempfile.TemporaryDirectory(prefix="watchfloor-native-") as work:
        root = Path(work)
        _source_tree(root)
        sources = [f"watchfloor/services/classifier/{name}.py" for name in COMPILED]
        cwd = os.getcwd()
        os.chdir(root)
        try:
            modules = mypycify([*sources, "--ignore-missing-imports", "--follow-imports=silent"],
                               group_name=GROUP)
            setup(name="watchfloor-native", ext_modules=modules,
                  script_args=["--quiet", "build_ext", "--inplace"])
        except BaseException as exc:  # mypy errors and compiler failures exit
            raise SystemExit(f"native build failed, the classifier runs as Python: {exc}") from None
        finally:
            os.chdir(cwd)
        suffix = build_tag()
        built = root / "watchfloor" / "services" / "classifier"
        runtime = next(root.glob(f"{GROUP}__mypyc*{suffix}"), None)
        missing = [name for name in COMPILED if not (built / f"{name}{suffix}").is_file()]
        if runtime is None or missing:
            raise SystemExit(f"native build: no output for {missing or 'the runtime'}")
        staging = target.with_name(target.name + ".new")
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir()
        for name in COMPILED:
            shutil.copy2(built / f"{name}{suffix}", staging)
        shutil.copy2(runtime, staging)
        (staging / MANIFEST).write_text(json.dumps({
            "tag": suffix, "sources": digests, "runtime_file": runtime.name,
        }, indent=1) + "\n")
    shutil.rmtree(target, ignore_errors=True)
    staging.rename(target)
    return target


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--target", type=Path, default=PACKAGE_DIR / BUILD_DIR,
                        help="folder to write (default: the package's %(default)s)")
    args = parser.parse_args(argv)
    started = time.monotonic()
    print(f"native build: compiling {len(COMPILED)} classifier modules with mypyc ...",
          file=sys.stderr)
    try:
        target = build(args.target)
    except SystemExit as exc:
        # an older build is stale by now (or this one would not run): none is better
        shutil.rmtree(args.target, ignore_errors=True)
        print(exc, file=sys.stderr)
        return 1
    print(f"native build: {target} in {time.monotonic() - started:.0f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
