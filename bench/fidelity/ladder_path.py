"""Known-competence agents through the path a user's model takes, and the same agents
simulated directly.

`run_through_path` serves every agent from one fake OpenAI-compatible endpoint
(tests/fakeapi, real HTTP) and runs them with `gapbench.evaluate`: the inspect runner
(agentic form) or lm-eval (standard form), the request-path proxy, the scorer, the store.
The samples it returns are read back from the store.

`simulate` gives the rows the same agents must produce, from their coins alone
(`KnownAgent.predict`), shaped like the store's rows so that the same analysis functions
read them. `compare` checks the two agree sample by sample: when they do, every statistic
computed from simulated replicates is the statistic the real path would give for them.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import pandas as pd

from bench.fidelity.ladder_agents import Form, KnownAgent, known_policy
from harness.suites import ladder as ladder_suite

Access = Literal["open", "closed"]
SUITE_OF: dict[Form, str] = {"agentic": "ladder_agentic", "standard": "ladder_standard"}
FORM_OF = {v: k for k, v in SUITE_OF.items()}
RELEASE = "2026-01-15"
PORT = 18431  # fixed, so that base URLs, and with them run keys, are the same in every run


@dataclass(frozen=True)
class Entrant:
    """An agent as a model of the sweep: its access and the forms it is run on."""

    agent: KnownAgent
    access: Access
    forms: tuple[Form, ...]


def items(per_rung: int, seed: int = ladder_suite.SEED) -> list[ladder_suite.LadderItem]:
    """The ladder's first per_rung items of every rung (the suite's order, index-major)."""
    return ladder_suite.make_items(seed, per_rung)


def item_of(sample_id: str) -> ladder_suite.LadderItem:
    """The item behind a stored sample id (`ladder-hHH-NNN`)."""
    _, h, index = sample_id.split("-")
    return ladder_suite.make_item(int(h[1:]), int(index))


def simulate(entrants: Iterable[Entrant], per_rung: int, version: str = "") -> pd.DataFrame:
    """The rows each entrant must produce on the first per_rung items of every rung."""
    its = items(per_rung)
    rows: list[dict[str, object]] = []
    for e in entrants:
        for form in e.forms:
            suite = SUITE_OF[form]
            for it in its:
                ok = e.agent.predict(it.start, it.h, form)
                rows.append(
                    {
                        "model_id": e.agent.name,
                        "access": e.access,
                        "suite": suite,
                        "suite_version": version,
                        "kind": form,
                        "sample_id": it.id,
                        "epoch": 1,
                        "h": it.h,
                        "score": float(ok),
                        "success": ok,
                        "status": "scored",
                    }
                )
    return pd.DataFrame(rows)


def run_through_path(
    entrants: Sequence[Entrant], per_rung: int, workdir: Path, *, port: int = PORT, batch: int = 3
) -> pd.DataFrame:
    """Run every entrant on the first per_rung items of each rung of its forms through
    gapbench, against the fake endpoint; -> the stored sample rows of these models.

    Resumes: the store and the call cache live in workdir, so a rerun (or a larger run over
    the same agents) only runs what is missing."""
    import gapbench
    from tests.fakeapi import FakeAPI

    # inspect writes its .eval members zstd-compressed and patches zipfile to read them when
    # it is imported; the sweep masks raw files in this process, which never imports inspect
    # (harness/secrets.py's _mask_zip fails with "compression method not supported" without it)
    with contextlib.suppress(ImportError):
        import zipfile_zstd  # type: ignore[import-not-found]  # noqa: F401

    agents = {e.agent.name: e.agent for e in entrants}
    names = {n: n for n in agents}
    ws = gapbench.workspace(
        results_dir=workdir / "results",
        cache_dir=workdir / "cache",
        reports_dir=workdir / "reports",
    )
    limit = per_rung * len(ladder_suite.HORIZONS)
    with FakeAPI(models=names, policy=known_policy(agents), port=port) as fake:
        for forms in sorted({e.forms for e in entrants}):
            group = [e for e in entrants if e.forms == forms]
            # a few models at a time: each run is an engine process of its own (~0.4 GB)
            for start in range(0, len(group), batch):
                models = [
                    gapbench.endpoint(
                        fake.openai_base_url,
                        e.agent.name,
                        access=e.access,
                        release_date=RELEASE,
                        id=e.agent.name,
                        organisation="gapbench fidelity (scripted)",
                        max_connections=8,
                    )
                    for e in group[start : start + batch]
                ]
                gapbench.evaluate(
                    models,
                    [SUITE_OF[f] for f in forms],
                    limit=limit,
                    name="fidelity-ladder",
                    ws=ws,
                )
    samples = ws.store.samples()
    return samples[samples["model_id"].isin(list(agents))].reset_index(drop=True)


@dataclass(frozen=True)
class Agreement:
    compared: int  # scored samples of the real path with a prediction
    equal: int  # of which the stored success equals the agent's prediction
    not_scored: int  # samples that errored or were not stored (never compared)
    examples: tuple[str, ...]  # a few that differ: model, sample, stored, predicted


def compare(stored: pd.DataFrame, agents: Mapping[str, KnownAgent], expected: int) -> Agreement:
    """Stored outcomes against the agents' predictions, sample by sample."""
    scored = stored[stored["status"].isin(["scored", "limit"])]
    equal, diffs = 0, []
    for model, suite, sid, success, score in zip(
        scored["model_id"],
        scored["suite"],
        scored["sample_id"],
        scored["success"],
        scored["score"],
        strict=True,
    ):
        it = item_of(str(sid))
        want = agents[str(model)].predict(it.start, it.h, FORM_OF[str(suite)])
        got = bool(success) if success is not None and not pd.isna(success) else score >= 1.0
        if got == want:
            equal += 1
        elif len(diffs) < 5:
            diffs.append(f"{model} {sid}: stored {got}, predicted {want}")
    return Agreement(len(scored), equal, expected - len(scored), tuple(diffs))
