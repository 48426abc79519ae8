"""The shape of the code: which part may import which.

Services stand on ``shared`` and on peers' plain modules, never on another
service's wiring (``app.py``), never on a private name, and the picture of
imports between parts has no cycle.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# Entry points that assemble the workers: they may import any wiring module.
ASSEMBLERS = {"cli", "bench"}


def _imports() -> list[tuple[str, str, str | None]]:
    """(importing part, imported module, imported name) for every import."""
    found = []
    for top in ("services", "shared"):
        for path in (ROOT / top).rglob("*.py"):
            rel = path.relative_to(ROOT)
            part = rel.parts[1] if top == "services" and len(rel.parts) > 2 else top
            for node in ast.walk(ast.parse(path.read_text())):
                if isinstance(node, ast.ImportFrom) and node.module:
                    for alias in node.names:
                        found.append((part, node.module, alias.name))
                elif isinstance(node, ast.Import):
                    found += [(part, alias.name, None) for alias in node.names]
    return found


def _part_of(module: str) -> str | None:
    bits = module.split(".")
    if bits[:2] == ["watchfloor", "shared"]:
        return "shared"
    if bits[:2] == ["watchfloor", "services"] and len(bits) > 2:
        return bits[2]
    return None


def test_no_service_imports_another_services_wiring() -> None:
    offenders = [
        (part, module) for part, module, name in _imports()
        if part not in ASSEMBLERS and _part_of(module) not in (None, part)
        and (module.endswith(".app") or name == "app")
    ]
    assert offenders == []


def test_no_private_name_is_imported_from_another_module() -> None:
    offenders = [
        (part, module, name) for part, module, name in _imports()
        if _part_of(module) and name and name.startswith("_") and name != "__version__"
    ]
    assert offenders == []


def test_parts_import_each_other_without_a_cycle() -> None:
    graph: dict[str, set[str]] = defaultdict(set)
    for part, module, _ in _imports():
        target = _part_of(module)
        if target and target != part:
            graph[part].add(target)
    visiting, done = set(), set()

    def visit(node: str, path: list[str]) -> None:
        assert node not in visiting, f"import cycle: {' -> '.join([*path, node])}"
        if node in done:
            return
        visiting.add(node)
        for nxt in sorted(graph[node]):
            visit(nxt, [*path, node])
        visiting.discard(node)
        done.add(node)

    for node in sorted(graph):
        visit(node, [])
    assert graph["shared"] == set(), "shared/ must not import a service"
