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


# Inside harness/analysis, the same rule one level down (highest first): assembly puts the
# answer and the report's tables together; inference estimates over many benchmarks (fits,
# bootstraps, curves); measures compute numbers per model, benchmark or pair; base is the
# shared vocabulary. measures/ and inference/ are folders; the package's top level holds
# assembly and base modules (and horizon.py, ladder.py, measures kept where they are).
ANALYSIS_LAYERS = ["assembly", "inference", "measures", "base"]
ANALYSIS_TOP = {
    "__init__": "assembly",
    "answer": "assembly",
    "build": "assembly",
    "tables": "assembly",
    "publish_docs": "assembly",
    "prepare": "assembly",
    "statements": "assembly",
    "epoch_gap": "assembly",
    "history": "assembly",
    "horizon": "measures",
    "ladder": "measures",
    "_common": "base",
    "spec": "base",
    "columns": "base",
    "intervals": "base",
    "wording": "base",
    "mapping": "base",
}
ANALYSIS_MODULES = sorted((HARNESS / "analysis").rglob("*.py"))


def analysis_layer(module: str) -> str:
    """The layer of a module under harness.analysis ("harness.analysis" itself: assembly)."""
    parts = module.split(".")
    if len(parts) == 2:
        return "assembly"
    if parts[2] in ("measures", "inference"):
        return parts[2]
    assert parts[2] in ANALYSIS_TOP, (
        f"{module}: a module at the top of harness/analysis needs a layer in ANALYSIS_TOP "
        "(or belongs in measures/ or inference/)"
    )
    return ANALYSIS_TOP[parts[2]]


def analysis_imports(path: Path) -> list[str]:
    """Modules of harness.analysis a file imports ("from harness.analysis.x import y" may
    name a module y: counted as harness.analysis.x.y when that file exists)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out.extend(a.name for a in node.names if a.name.startswith("harness.analysis"))
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if not node.module.startswith("harness.analysis"):
                continue
            base = HARNESS.parent.joinpath(*node.module.split("."))
            subs = [a.name for a in node.names if (base / f"{a.name}.py").is_file()]
            out.extend(f"{node.module}.{s}" for s in subs)
            if len(subs) < len(node.names):
                out.append(node.module)
    return out


@pytest.mark.parametrize("path", ANALYSIS_MODULES, ids=lambda p: str(p.relative_to(HARNESS)))
def test_analysis_imports_point_down(path: Path) -> None:
    own = analysis_layer(dotted(path).removesuffix(".__init__"))
    for name in analysis_imports(path):
        target = analysis_layer(name)
        assert ANALYSIS_LAYERS.index(target) >= ANALYSIS_LAYERS.index(own), (
            f"{dotted(path)} ({own}) imports {name} ({target})"
        )


def test_analysis_has_no_import_cycle() -> None:
    """Imports point one way inside a layer too: no module reaches itself (the issue-22
    review found a 13-file circle through answer, curve, dtest and understatement)."""
    graph: dict[str, set[str]] = {}
    for path in ANALYSIS_MODULES:
        mod = dotted(path).removesuffix(".__init__")
        graph[mod] = {n for n in analysis_imports(path) if n != mod and n in _modules()}
    graph.pop("harness.analysis", None)  # the package re-exports; nothing below imports it
    for deps in graph.values():
        deps.discard("harness.analysis")
    seen: dict[str, int] = {}  # 1: on the current path, 2: done

    def visit(m: str, path: list[str]) -> None:
        seen[m] = 1
        for n in sorted(graph.get(m, ())):
            assert seen.get(n) != 1, "import cycle: " + " -> ".join([*path, m, n])
            if n not in seen:
                visit(n, [*path, m])
        seen[m] = 2

    for m in sorted(graph):
        if m not in seen:
            visit(m, [])


def _modules() -> set[str]:
    return {dotted(p).removesuffix(".__init__") for p in ANALYSIS_MODULES}


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
