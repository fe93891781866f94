"""What may import what: the production path never reaches the generator or the benchmark.

Read from the source (every `import`, including those inside functions), so a lazy import behind a
flag counts too.
"""

from __future__ import annotations

import ast
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
# package -> the project packages it may import (README "How it is built" draws the same)
ALLOWED = {
    "ingest": set(),
    "synth": set(),
    "expectations": {"ingest"},
    "publish": {"ingest"},
    "orchestration": {"ingest", "expectations", "publish"},
    "talent": {"ingest", "orchestration", "publish", "synth"},
}
PROJECT = set(ALLOWED) | {"bi", "tests"}


def imported_packages(tree: ast.AST) -> set[str]:
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
    return found & PROJECT


def imports_of(package: str) -> dict[str, set[str]]:
    return {
        str(path.relative_to(REPO)): imported_packages(ast.parse(path.read_text(encoding="utf-8")))
        for path in sorted((REPO / package).rglob("*.py"))
    }


def test_each_package_imports_only_the_packages_below_it():
    wrong = {
        (module, other)
        for package, allowed in ALLOWED.items()
        for module, packages in imports_of(package).items()
        for other in packages - allowed - {package}
    }
    assert wrong == set()


def test_the_refresh_command_reaches_neither_the_generator_nor_the_benchmark():
    tree = ast.parse((REPO / "talent" / "cli.py").read_text(encoding="utf-8"))
    (refresh,) = [n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "refresh"]
    modules = {
        node.module for node in ast.walk(refresh) if isinstance(node, ast.ImportFrom) and node.module
    } | {alias.name for node in ast.walk(refresh) if isinstance(node, ast.Import) for alias in node.names}
    assert modules and not {m for m in modules if m.startswith(("synth", "talent.bench"))}
    # and what it imports does not import them either
    production = {m.split(".")[0] for m in modules} & set(ALLOWED)
    assert production <= {"orchestration", "talent"}
    talent_modules = {m for m in modules if m.startswith("talent.")}
    for module in talent_modules:
        path = REPO / (module.replace(".", "/") + ".py")
        assert not imported_packages(ast.parse(path.read_text(encoding="utf-8"))) & {"synth"}, module


def test_the_schedule_and_the_dagster_definitions_do_not_import_the_generator():
    reached = {p for module, packages in imports_of("orchestration").items() for p in packages}
    assert "synth" not in reached and "talent" not in reached
    assert {"ingest", "publish", "expectations"} <= reached
