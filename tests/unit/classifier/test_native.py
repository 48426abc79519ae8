"""The compiled classifier modules are used only when built from the sources
as they are, and classify exactly as the Python sources do."""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import watchfloor.services.classifier as classifier_package
from watchfloor.services.classifier import native

PACKAGE_DIR = Path(classifier_package.__file__).parent
REPO = PACKAGE_DIR.parent.parent
SAMPLES = REPO / "samples" / "articles.jsonl"


def _package_with_build(tmp_path: Path) -> Path:
    """A copy of the compiled modules' sources with a build folder whose
    manifest matches them (the runtime file is a stand-in: not loaded here)."""
    package = tmp_path / "classifier"
    package.mkdir()
    for name in native.COMPILED:
        shutil.copy2(PACKAGE_DIR / f"{name}.py", package)
    build = package / native.BUILD_DIR
    build.mkdir()
    runtime = f"group__mypyc{native.build_tag()}"
    (build / runtime).write_bytes(b"")
    (build / native.MANIFEST).write_text(json.dumps({
        "tag": native.build_tag(), "sources": native.source_digests(package),
        "runtime_file": runtime}))
    return package


def test_a_build_of_the_current_sources_is_used(tmp_path: Path) -> None:
    package = _package_with_build(tmp_path)
    assert native.fresh_build(package) == package / native.BUILD_DIR


def test_an_edited_source_is_never_shadowed_by_an_old_build(tmp_path: Path) -> None:
    package = _package_with_build(tmp_path)
    source = package / "features.py"
    source.write_text(source.read_text() + "\n# edited after the build\n")
    assert native.fresh_build(package) is None


def test_a_build_for_another_interpreter_is_not_used(tmp_path: Path) -> None:
    package = _package_with_build(tmp_path)
    manifest_file = package / native.BUILD_DIR / native.MANIFEST
    manifest = json.loads(manifest_file.read_text())
    manifest["tag"] = ".cpython-39-x86_64-linux-gnu.so"
    manifest_file.write_text(json.dumps(manifest))
    assert native.fresh_build(package) is None


@pytest.mark.parametrize("damage", ["no manifest", "bad manifest", "no runtime"])
def test_a_missing_or_broken_build_falls_back_to_the_sources(tmp_path: Path, damage: str) -> None:
    package = _package_with_build(tmp_path)
    build = package / native.BUILD_DIR
    manifest = json.loads((build / native.MANIFEST).read_text())
    if damage == "no manifest":
        (build / native.MANIFEST).unlink()
    elif damage == "bad manifest":
        (build / native.MANIFEST).write_text("{not json")
    else:
        (build / manifest["runtime_file"]).unlink()
    assert native.fresh_build(package) is None
    assert native.native_path(["src"], package) == (["src"], False)


def test_the_pure_option_keeps_the_sources(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    package = _package_with_build(tmp_path)
    monkeypatch.setitem(sys._xoptions, native.PURE_OPTION, True)
    assert native.native_path(["src"], package) == (["src"], False)


def _classify(*python_options: str) -> tuple[bool, bytes]:
    probe = subprocess.run(
        [sys.executable, *python_options, "-c",
         "import watchfloor.services.classifier as c; print(c.NATIVE)"],
        capture_output=True, text=True, check=True)
    result = subprocess.run(
        [sys.executable, *python_options, "-m", "watchfloor.services.cli.main", "classify",
         "--classifier", "learned", "--input", str(SAMPLES)],
        capture_output=True, check=True)
    return probe.stdout.strip() == "True", result.stdout


@pytest.mark.skipif(not classifier_package.NATIVE,
                    reason="no fresh compiled build (make native)")
def test_compiled_and_python_classify_the_samples_alike() -> None:
    compiled, compiled_output = _classify()
    pure, pure_output = _classify("-X", native.PURE_OPTION)
    assert (compiled, pure) == (True, False)
    assert compiled_output.count(b"\n") == sum(1 for line in SAMPLES.open() if line.strip())
    assert compiled_output == pure_output


@pytest.mark.skipif(importlib.util.find_spec("mypyc") is None,
                    reason="mypy is not installed (pip install '.[dev]')")
def test_a_build_without_a_compiler_says_why_and_leaves_nothing(tmp_path: Path) -> None:
    target = tmp_path / "_native"
    target.mkdir()  # an older build: stale, or the build would not run
    built = subprocess.run(
        [sys.executable, "-m", "watchfloor.services.classifier.native_build",
         "--target", str(target)],
        capture_output=True, text=True, env={**os.environ, "CC": str(tmp_path / "no-cc")})
    assert built.returncode == 1
    assert "no C compiler ('" in built.stderr and "no-cc" in built.stderr
    assert "the classifier runs as Python" in built.stderr
    assert not target.exists() and not target.with_name("_native.new").exists()


def test_the_classifier_worker_logs_whether_it_runs_compiled() -> None:
    from structlog.testing import capture_logs
    from watchfloor.services.classifier.app import classifier_parts
    from watchfloor.shared.settings import Settings
    from watchfloor.shared.streams.worker import Runtime

    with capture_logs() as logs:
        classifier_parts(Runtime(Settings(_env_file=None)))
    (loaded,) = [entry for entry in logs if entry["event"] == "classifier_loaded"]
    assert loaded["compiled"] is classifier_package.NATIVE
    assert "+model." in loaded["version"]


def test_make_rebuilds_when_any_compiled_source_changes() -> None:
    """The Makefile's list of the build's sources names every compiled module."""
    makefile = (REPO / "Makefile").read_text().replace("\\\n", " ")
    (line,) = [row for row in makefile.splitlines() if row.startswith("NATIVE_SOURCES")]
    listed = set(line.split(",")[-1].rstrip(")").split())
    assert listed == {*native.COMPILED, "native", "native_build"}
