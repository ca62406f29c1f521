"""The house rules that keep the code a place features can be added to (docs/ARCHITECTURE.md):
dependencies point one way, no module reaches into another's private names, modules stay small."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PRODUCTION = ("models", "pipeline", "intake", "api", "storage")
# What each package may not import (ours, and the frameworks that belong to other layers).
FORBIDDEN = {
    "models": {"pipeline", "intake", "api", "storage", "samples", "benchmarks", "tests", "loopback"},
    "pipeline": {"intake", "api", "storage", "ray", "sqlalchemy", "fastapi", "starlette", "minio", "tests"},
    "storage": {"pipeline", "intake", "api", "tests", "ray", "fastapi"},
    "intake": {"api", "tests", "fastapi", "starlette"},
    "api": {"tests"},
    "benchmarks": {"tests"},
    "samples": {"intake", "api", "storage", "tests"},
}
MAX_LINES = 520  # "about 500": a module past this wants splitting


def _modules(package: str) -> list[Path]:
    return sorted(p for p in (ROOT / package).rglob("*.py") if "migrations" not in p.parts)


def _imports(path: Path) -> list[tuple[str, list[str]]]:
    """(module, names) of every import in the file, lazy ones inside functions included."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [(alias.name, []) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.module, [alias.name for alias in node.names]))
    return found


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_dependencies_point_one_way(package):
    wrong = [
        f"{path.relative_to(ROOT)} imports {module}"
        for path in _modules(package)
        for module, _names in _imports(path)
        if module.split(".")[0] in FORBIDDEN[package]
    ]
    assert wrong == []


def test_no_module_imports_another_modules_private_names():
    ours = {*PRODUCTION, "samples", "benchmarks", "scripts", "loopback"}
    wrong = [
        f"{path.relative_to(ROOT)}: from {module} import {name}"
        for package in ours
        for path in _modules(package)
        for module, names in _imports(path)
        if module.split(".")[0] in ours
        for name in names
        if name.startswith("_") and not name.startswith("__")
    ]
    assert wrong == []


def test_production_modules_stay_small():
    large = [
        f"{path.relative_to(ROOT)}: {n} lines"
        for package in PRODUCTION
        for path in _modules(package)
        if (n := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    ]
    assert large == []


def test_dates_come_from_the_one_clock():
    """Business dates are Vietnam time from `intake.clock`; only audit timestamps (UTC, in
    storage/tables.py) read the machine's clock directly. `date.today()` is the machine's date,
    which on a server is the UTC date: wrong from 17:00 to midnight in Vietnam."""
    allowed = {ROOT / "intake" / "clock.py", ROOT / "storage" / "tables.py"}
    wrong = []
    for package in (*PRODUCTION, "benchmarks"):
        for path in _modules(package):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if (
                    isinstance(node, ast.Call)
                    and isinstance(node.func, ast.Attribute)
                    and isinstance(node.func.value, ast.Name)
                    and (node.func.value.id, node.func.attr)
                    in {("date", "today"), ("datetime", "now"), ("datetime", "utcnow"), ("datetime", "today")}
                    and path not in allowed
                ):
                    wrong.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert wrong == []
