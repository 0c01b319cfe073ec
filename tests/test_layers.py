"""The layering in DESIGN.md, enforced: imports point down only, engines stay in runners/."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

HARNESS = Path(__file__).resolve().parents[1] / "harness"

# Highest first. A module may import its own layer or any layer below it.
LAYERS = [
    "cli",
    "api",
    "nightly",
    "publish",
    "report",
    "analysis",
    "sweep",
    "runners",
    "serve",
    "suites",
    "models",
    "store",
    "leaf",
]
LEAVES = {
    "config",
    "errors",
    "exitcodes",
    "_types",
    "_loading",
    "_files",
    "offline",
    "secrets",
    "_text",
    "__init__",
}


def layer_of(module: str) -> str:
    parts = module.split(".")
    if parts[0] != "harness" or len(parts) == 1:
        return "leaf"
    head = parts[1]
    if head == "cli":
        return "cli"
    if head in LEAVES:
        return "leaf"
    return head


def imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out.append(node.module)
    return out


MODULES = sorted(HARNESS.rglob("*.py"))


def dotted(path: Path) -> str:
    rel = path.relative_to(HARNESS.parent).with_suffix("")
    return ".".join(rel.parts)


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(HARNESS)))
def test_imports_point_down(path: Path) -> None:
    own = layer_of(dotted(path))
    for name in imports(path):
        if not name.startswith("harness"):
            continue
        target = layer_of(name)
        assert LAYERS.index(target) >= LAYERS.index(own), (
            f"{dotted(path)} ({own}) imports {name} ({target})"
        )


ENGINE_HOMES = {
    "inspect_ai": "harness.runners.inspect",
    "inspect_evals": "harness.runners.inspect",
    "lm_eval": "harness.runners.lm_eval",
    "matplotlib": "harness.report",
    "jinja2": "harness.report",
    "ray": "harness.sweep.ray_executor",
}


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(HARNESS)))
def test_engines_and_drawing_libraries_stay_home(path: Path) -> None:
    module = dotted(path)
    for name in imports(path):
        top = name.split(".")[0]
        if top in ENGINE_HOMES:
            assert module.startswith(ENGINE_HOMES[top]), f"{module} imports {top}"
