"""Settings: where things live. Environment variables override defaults."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

# The repository root (this package is installed editable from it; tasks/ and models.yaml
# are data that live beside the package rather than inside it).
REPO_ROOT = Path(__file__).resolve().parent.parent

# Epoch AI's Benchmarking Hub dump (CC-BY), shipped so the gap over time has history offline.
BUNDLED_EPOCH_DUMP = REPO_ROOT / "data" / "published" / "epoch_benchmarking_hub_2026-04.zip"


@dataclass(frozen=True)
class Settings:
    results_dir: Path
    reports_dir: Path
    cache_dir: Path
    tasks_dir: Path
    registry_path: Path
    sweeps_dir: Path

    @property
    def raw_dir(self) -> Path:
        """Raw engine logs (inspect .eval files, lm-eval samples), kept for `inspect view`."""
        return self.results_dir / "raw"


def load_settings(base: Path | None = None) -> Settings:
    """Settings for a working directory (default: the current one)."""
    base = base or Path.cwd()
    env = os.environ
    return Settings(
        results_dir=Path(env.get("GAPBENCH_RESULTS_DIR", base / "results")),
        reports_dir=Path(env.get("GAPBENCH_REPORTS_DIR", base / "reports")),
        cache_dir=Path(env.get("GAPBENCH_CACHE_DIR", Path.home() / ".cache" / "gapbench")),
        tasks_dir=Path(env.get("GAPBENCH_TASKS_DIR", REPO_ROOT / "tasks")),
        registry_path=Path(env.get("GAPBENCH_REGISTRY", REPO_ROOT / "models.yaml")),
        sweeps_dir=Path(env.get("GAPBENCH_SWEEPS_DIR", REPO_ROOT / "sweeps")),
    )
