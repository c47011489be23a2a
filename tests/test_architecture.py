"""The dependency rules of docs/architecture.md, checked on the source (AST), not by review."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
APPS = ROOT / "linli"

# app -> the linli apps it may import (besides itself). Apps not listed may import the
# registry apps (core, regions, accounts, people, orgs, facilities) only.
ALLOWED = {
    "core": set(),
    "regions": {"core"},
    "accounts": {"core", "regions"},
    "demo": {"*"},
    # The evaluation engine reads every app, but only through each app's indicators.py.
    "indicators": {"core", "regions", "accounts"},
}
REGISTRY_APPS = {"core", "regions", "accounts", "people", "orgs", "facilities"}
# Modules of an app that other apps never import (the kernel's building blocks excepted).
PRIVATE_MODULES = {"views", "api", "urls", "admin", "forms"}
# The contract every app's indicators.py implements (a dataclass, no engine code).
SHARED_CONTRACTS = {"linli.indicators.measures"}


def _imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.append(node.module)
            names += [f"{node.module}.{alias.name}" for alias in node.names]
    return [n for n in names if n.startswith("linli.")]


def _app_sources():
    for app in sorted(p for p in APPS.iterdir() if (p / "apps.py").exists()):
        for path in app.rglob("*.py"):
            relative = path.relative_to(app)
            if relative.parts[0] in ("tests", "migrations") or path.name == "conftest.py":
                continue
            yield app.name, path


def test_apps_import_only_what_the_layering_allows():
    violations = []
    for app, path in _app_sources():
        allowed = ALLOWED.get(app, REGISTRY_APPS)
        for name in _imports(path):
            target = name.split(".")[1]
            if target == app or "*" in allowed or name.startswith(tuple(SHARED_CONTRACTS)):
                continue
            if target not in allowed:
                violations.append(f"{path.relative_to(ROOT)} imports {name}")
            elif (
                target != "core"
                and len(name.split(".")) > 2
                and name.split(".")[2] in PRIVATE_MODULES
            ):
                violations.append(f"{path.relative_to(ROOT)} imports another app's {name}")
    assert violations == []


def test_the_rule_checker_sees_imports():
    # guard against a checker that silently finds nothing
    imports = _imports(APPS / "accounts" / "models.py")
    assert "linli.regions.models" in imports
