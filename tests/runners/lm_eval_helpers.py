"""Building RunContexts for lm-eval runner tests (real registry card, given endpoint)."""

from __future__ import annotations

from pathlib import Path

from harness._types import Endpoint
from harness.config import REPO_ROOT
from harness.models import load_registry
from harness.runners.base import RunContext
from harness.suites import SuiteSpec

DEFAULT_MODEL = "smollm2-135m-instruct"


def make_ctx(
    suite: SuiteSpec,
    endpoint: Endpoint,
    todo: list[tuple[str, int]],
    raw_dir: Path,
    max_connections: int = 1,
) -> RunContext:
    registry = load_registry(REPO_ROOT / "models.yaml")
    card = registry.card(DEFAULT_MODEL)
    deployment = next(d for d in registry.deployments if d.model == DEFAULT_MODEL)
    return RunContext(
        run_id="run-test",
        sweep_id="sweep-test",
        card=card,
        deployment=deployment,
        endpoint=endpoint,
        suite=suite,
        todo=tuple(todo),
        raw_dir=raw_dir,
        max_connections=max_connections,
    )
