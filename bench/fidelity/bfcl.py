"""Agreement of gapbench's BFCL suites with bfcl-eval's own checker (issue 21).

    python -m bench.fidelity bfcl_simple|bfcl_multiple|bfcl_parallel|bfcl_multi_turn --n 200

Single-turn (simple, multiple, parallel): each trajectory is one reply text of a prompting
model (gold, null, or gold with a mistake: bench/fidelity/bfcl_perturb.py). gapbench's side
replays it through the lm-eval runner, the request path and the `bfcl_ast` scorer (a scripted
model behind the fake OpenAI-compatible server; bench/fidelity/replay.py); the official side
is bfcl-eval's per-entry evaluation (bfcl_official.py, in .venv-fidelity) of the same text,
against bfcl-eval's own copy of the data and possible answers.
Multi-turn: bench/fidelity/bfcl_multi_turn.py.
"""

from __future__ import annotations

import ast
import random
from pathlib import Path
from typing import Any

from bench.fidelity import bfcl_perturb, bfcl_perturb_more
from bench.fidelity.agreement import Compared, Explain, compare, pick_samples, result
from bench.fidelity.official_env import run_official
from bench.fidelity.replay import GapbenchScore, Trajectory, replay_suite
from harness.config import REPO_ROOT
from harness.suites.registry import load_suite
from harness.suites.scorers import StandardDoc, load_docs
from tests.fakeapi import Conversation, Reply

HERE = Path(__file__).resolve().parent
OFFICIAL_SCRIPT = HERE / "bfcl_official.py"
PER_SAMPLE = 4  # trajectories per sample (replay models side by side)
# bfcl_perturb's kinds, then the red team's (bfcl_perturb_more)
GENERATORS = {**bfcl_perturb.GENERATORS, **bfcl_perturb_more.GENERATORS}
SINGLE = {  # gapbench suite -> BFCL test category
    "bfcl_simple": "simple_python",
    "bfcl_multiple": "multiple",
    "bfcl_parallel": "parallel",
}


def suite_dir(suite: str) -> Path:
    return REPO_ROOT / "tasks" / "standard" / suite


def single_turn_trajectories(suite: str, n: int, seed: int) -> list[Trajectory]:
    """n trajectories over ceil(n/4) samples: every perturbation kind once (where it applies),
    then weighted at random."""
    docs = load_docs(suite_dir(suite) / "data.jsonl")
    by_id = {d.id: d for d in docs}
    ids = pick_samples([d.id for d in docs], n, PER_SAMPLE, seed)
    rng = random.Random(seed)
    kinds = list(GENERATORS)
    out: list[Trajectory] = []
    for i in range(n):
        sid = ids[i % len(ids)]
        forced = kinds[i] if i < len(kinds) else None
        if forced is not None:  # every kind once: on the first of the samples it fits
            at = i % len(ids)
            for other in ids[at:] + ids[:at]:
                meta = by_id[other].metadata
                if GENERATORS[forced][1](meta["functions"], meta["ground_truth"], rng) is not None:
                    sid = other
                    break
        doc = by_id[sid]
        name, reply, detail = bfcl_perturb.make_reply(
            doc.metadata["functions"], doc.metadata["ground_truth"], rng, forced, GENERATORS
        )
        out.append(Trajectory(f"{sid}#{i}", sid, name, reply, detail))
    return out


def category_of(sample_id: str) -> str:
    """The BFCL test category of a single-turn sample id (simple_python_3 -> simple_python)."""
    return sample_id.rsplit("_", 1)[0]


def gapbench_single_turn(
    suites: str | list[str], trajectories: list[Trajectory]
) -> dict[str, GapbenchScore]:
    """gapbench's scores, from one sweep over the given suites (sample ids differ)."""
    names = [suites] if isinstance(suites, str) else suites
    index = {
        d.prompt.strip(): d.id for name in names for d in load_docs(suite_dir(name) / "data.jsonl")
    }

    def sample_of(conv: Conversation) -> str | None:
        return index.get(conv.first_user_text().strip())

    def reply_for(t: Trajectory, conv: Conversation) -> Reply:
        return Reply(text=str(t.payload))

    return replay_suite(names, trajectories, reply_for, sample_of)


def official_single_turn(
    trajectories: list[Trajectory], make: bool = True
) -> tuple[dict[str, float], dict[str, Any]]:
    items = [
        {"key": t.key, "category": category_of(t.sample_id), "id": t.sample_id, "result": t.payload}
        for t in trajectories
    ]
    out = run_official(OFFICIAL_SCRIPT, {"items": items}, make=make)
    scores = {k: 1.0 if v["valid"] else 0.0 for k, v in out["scores"].items()}
    return scores, out


def official_meta(out: dict[str, Any]) -> dict[str, str]:
    return {"name": "bfcl-eval", "version": str(out["version"]), "entry": str(out["entry"])}


def run_single_turn(suite: str, n: int, seed: int) -> tuple[list[Compared], dict[str, Any]]:
    trajectories = single_turn_trajectories(suite, n, seed)
    official, out = official_single_turn(trajectories)
    gapbench = gapbench_single_turn(suite, trajectories)
    return compare(trajectories, gapbench, official), out


def run_suite(suite: str, n: int, seed: int) -> dict[str, Any]:
    compared, out = run_single_turn(suite, n, seed)
    version = load_suite(suite_dir(suite) / "suite.yaml").version
    return result(suite, version, official_meta(out), compared, seed, explain=explainer(suite))


BFCL_UNARY = (
    "bfcl_eval/model_handler/utils.py, resolve_ast_by_type: `elif isinstance(value, ast.UnaryOp): "
    "output = -value.operand.value`"
)


def _score_with(text: str, doc: StandardDoc, bfcl_unary: bool) -> float:
    """gapbench's bfcl_ast scorer called directly (diagnosis only), optionally with BFCL's
    unary-operation shortcut in place of Python's semantics."""
    from harness.suites.scorers import bfcl as scorer

    original = scorer._literal

    def unary_as_bfcl(node: ast.expr) -> Any:
        if isinstance(node, ast.UnaryOp):
            try:
                return -node.operand.value  # type: ignore[attr-defined]
            except (AttributeError, TypeError) as exc:
                raise ValueError(str(exc)) from None
        return original(node)

    if bfcl_unary:
        scorer._literal = unary_as_bfcl  # type: ignore[assignment]
    try:
        return scorer.score_calls(text, doc).value
    finally:
        scorer._literal = original  # type: ignore[assignment]


def explainer(suite: str) -> Explain:
    docs = {d.id: d for d in load_docs(suite_dir(suite) / "data.jsonl")}

    def explain(t: Trajectory, g: GapbenchScore, official: float) -> tuple[str, str, str] | None:
        """A disagreement whose cause is shown by computation: gapbench's scorer with BFCL's
        unary shortcut gives the official score, and without it gapbench's stored score."""
        doc = docs[t.sample_id]
        text = str(t.payload)
        if g.score is None:
            return None
        if _score_with(text, doc, False) == g.score and _score_with(text, doc, True) == official:
            return (
                "BFCL decodes every unary operation as minus its operand's constant (+5 -> -5, "
                "~5 -> -5, not True -> -1; -(-5) does not decode); gapbench evaluates it as "
                "Python does",
                "upstream-defect",
                f"{BFCL_UNARY}; reply {text[:200]!r}; gapbench's scorer with that line "
                f"scores {official:g}, without it {g.score:g}",
            )
        return None

    return explain


def run_simple(n: int, seed: int) -> dict[str, Any]:
    return run_suite("bfcl_simple", n, seed)


def run_multiple(n: int, seed: int) -> dict[str, Any]:
    return run_suite("bfcl_multiple", n, seed)


def run_parallel(n: int, seed: int) -> dict[str, Any]:
    return run_suite("bfcl_parallel", n, seed)
