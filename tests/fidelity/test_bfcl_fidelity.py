"""BFCL: gapbench's scores against bfcl-eval's own checker, which really runs (in
.venv-fidelity). The full runs (200+ trajectories per suite) are `python -m bench.fidelity
bfcl_simple|bfcl_multiple|bfcl_parallel|bfcl_multi_turn`; this is the slice CI runs."""

from __future__ import annotations

import json
import random

import pytest

from bench.fidelity import bfcl, bfcl_multi_turn
from bench.fidelity.agreement import compare
from bench.fidelity.replay import Trajectory
from harness.runners.inspect_tasks.bfcl_checker import Call, _decoded, check
from harness.suites.scorers import load_docs
from harness.suites.scorers.bfcl import score_calls

pytestmark = pytest.mark.usefixtures("fidelity_python")

# Replies to simple_python_0, calculate_triangle_area(base=10, height=5, unit='units' | ""),
# each decoded differently by a careless port: binary operations (BFCL eval()s them), unary
# operations (BFCL's -operand shortcut), lambdas, subscripts, **kwargs, dict unpacking.
REPLIES = [
    "[calculate_triangle_area(base=10, height=5)]",
    "[calculate_triangle_area(base=5*2, height=10-5)]",
    "[calculate_triangle_area(base=10, height=5, unit='un' + 'its')]",
    "[calculate_triangle_area(base=10, height=5, unit='units'*1)]",
    "[calculate_triangle_area(base=1<<3|2, height=5)]",
    "[calculate_triangle_area(base=10, height=5, unit=['u'] + ['nits'])]",
    "[calculate_triangle_area(base=10/1, height=5)]",
    "[calculate_triangle_area(base=10, height=5, unit=x + 'a')]",
    "[calculate_triangle_area(base=10, height=5, unit=lambda x: x)]",
    "[calculate_triangle_area(base=10, height=5, unit=a[1, 2])]",
    "[calculate_triangle_area(base=10, height=5, **extra)]",
    "[calculate_triangle_area(base=10, height=5, unit={**d})]",
    "[calculate_triangle_area(base=10, height=-(-5))]",
    "[calculate_triangle_area(base=10, height=+5)]",
    "[calculate_triangle_area(base=~-11, height=5)]",
    "[calculate_triangle_area(base=10, height=5, unit=1/0)]",
    "calculate_triangle_area(base=10, height=5)",
    "```python\n[calculate_triangle_area(base=10, height=5)]\n```",
    "[calculate_triangle_area(10, 5)]",
    '[{"name": "calculate_triangle_area", "arguments": {"base": 10, "height": 5}}]',
    "",
    # BFCL eval()s an operation whatever its operands: pure builtin and method calls count
    # (1.1 refused them); names do not (BFCL resolves them in its own module)
    "[calculate_triangle_area(base=int('10') + 0, height=len('abcde') * 1)]",
    "[calculate_triangle_area(base=10, height=5, unit='UNITS'.lower() + '')]",
    "[calculate_triangle_area(base=[10][0] + 0, height=(5 if 1 < 2 else 0) + 0)]",
    "[calculate_triangle_area(base=10, height=5, unit=f'{\"uni\"}' + 'ts')]",
    "[calculate_triangle_area(base=10, height=round(5.2) + 0)]",
    "[calculate_triangle_area(base=0xA, height=5_0 // 10, unit=r'units')]",
    "[calculate_triangle_area(base=10, height=5, unit=units + '')]",
]
# BFCL reads every unary operation as minus its operand's constant: +5 -> -5, ~-11 -> 11,
# -(-5) does not decode. gapbench follows Python; these are the documented upstream defect.
UNARY_DEFECT = {12, 13, 14}


def test_single_turn_decoding_agrees_with_bfcl_eval_reply_by_reply() -> None:
    doc = next(
        d
        for d in load_docs(bfcl.suite_dir("bfcl_simple") / "data.jsonl")
        if d.id == "simple_python_0"
    )
    trajs = [Trajectory(f"r{i}", doc.id, "case", r) for i, r in enumerate(REPLIES)]
    official, _ = bfcl.official_single_turn(trajs, make=False)
    explain = bfcl.explainer("bfcl_simple")
    for i, t in enumerate(trajs):
        ours = score_calls(t.payload, doc).value
        if i in UNARY_DEFECT:
            assert ours != official[t.key], t.payload
            from bench.fidelity.replay import GapbenchScore

            known = explain(t, GapbenchScore(ours, "scored"), official[t.key])
            assert known is not None and known[1] == "upstream-defect", t.payload
        else:
            assert ours == official[t.key], t.payload


def test_single_turn_slice_through_the_runner() -> None:
    """Gold, null and perturbed replies for simple, multiple and parallel, replayed in one
    sweep through the lm-eval runner, the request path and the store; every score equals
    bfcl-eval's (or is the documented unary defect, shown by computation)."""
    suites = sorted(bfcl.SINGLE)
    trajs = [t for s in suites for t in bfcl.single_turn_trajectories(s, 6, seed=5)]
    official, _ = bfcl.official_single_turn(trajs, make=False)
    compared = compare(trajs, bfcl.gapbench_single_turn(suites, trajs), official)
    explainers = {s: bfcl.explainer(s) for s in suites}
    kinds = {c.trajectory.perturbation for c in compared}
    assert {"gold", "null", "wrong_value"} <= kinds
    assert {c.official for c in compared} == {0.0, 1.0}
    for c in compared:
        assert c.gapbench.status == "scored", c
        suite = next(
            s for s in suites if bfcl.SINGLE[s] == bfcl.category_of(c.trajectory.sample_id)
        )
        assert c.agree or explainers[suite](c.trajectory, c.gapbench, c.official), c


def _metadata(sample_id: str) -> dict[str, object]:
    entries, truth = bfcl_multi_turn.load_entries()
    e = entries[sample_id]
    return {
        "raw_ground_truth": truth[sample_id],
        "involved_classes": e["involved_classes"],
        "initial_config": e["initial_config"],
    }


def _as_sent(arguments: object) -> dict[str, object] | None:
    """Arguments as the checker decodes them: text (what a model sent) as BFCL's json.loads."""
    return _decoded(None, arguments) if isinstance(arguments, str) else arguments  # type: ignore[return-value]


@pytest.fixture(scope="module")
def backends() -> None:
    from harness.runners.inspect_tasks.bfcl import _load_backends

    _load_backends(bfcl_multi_turn.DATA / "func_source_code")


def test_multi_turn_checker_agrees_with_bfcl_eval_on_perturbed_steps(backends: None) -> None:
    """gapbench's port of the multi-turn checker, called on step lists, against bfcl-eval's
    _evaluate_single_multi_turn_entry on the same steps: every perturbation kind, 2 samples."""
    signatures = bfcl_multi_turn._signatures()
    _, truth = bfcl_multi_turn.load_entries()
    rng = random.Random(11)
    trajs = []
    for sid in ("multi_turn_base_11", "multi_turn_base_100"):
        gold = bfcl_multi_turn.gold_turns(truth[sid], signatures)
        for kind in bfcl_multi_turn.KINDS:
            made = bfcl_multi_turn.perturb(kind, gold, rng)
            if made is not None:
                trajs.append(Trajectory(f"{sid}#{kind}", sid, kind, made[0], made[1]))
    official, _ = bfcl_multi_turn.official_scores(trajs, make=False)
    for t in trajs:
        steps = []
        for turn in bfcl_multi_turn.as_run(t.payload):  # as BFCL's inference loop runs it
            decoded = [
                [(c["name"], _as_sent(c["arguments"])) for c in s["calls"]]
                for s in turn
                if s.get("calls")
            ]  # arguments sent as text decode as BFCL's json.loads does; one failure drops the step
            steps.append(
                [
                    [Call(n, a) for n, a in step]
                    for step in decoded
                    if all(a is not None for _, a in step)
                ]
            )
        valid, why = check(_metadata(t.sample_id), steps)
        assert float(valid) == official[t.key], (t.key, t.detail, why)
    assert {official[t.key] for t in trajs} == {0.0, 1.0}


@pytest.mark.slow  # ~30 s: inspect and the BFCL backends start in a sweep worker
def test_multi_turn_slice_through_the_runner() -> None:
    """A few trajectories replayed through inspect (solver, tools, the request path, the
    suite's scorer, the store), each agreeing with bfcl-eval: gold, a call one turn late,
    arguments with a stray trailing quote (inspect recovers them; BFCL's json.loads does not,
    so the step is dropped) retried at once (BFCL's inference loop ends the turn at the
    undecodable step, so the retry never happens; inspect's own loop would let the model
    retry and pass), and 21 steps in a turn that is not the last (BFCL stops the conversation:
    force-terminated)."""
    all_trajs = bfcl_multi_turn.trajectories(20, seed=3)
    gold = next(t for t in all_trajs if t.perturbation == "gold")
    late = next(t for t in all_trajs if t.perturbation == "call_late")
    turns = json.loads(json.dumps(gold.payload))
    call = turns[0][0]["calls"][0]
    call["arguments"] = json.dumps(call["arguments"]) + '"'
    turns[0].insert(1, gold.payload[0][0])
    retry = Trajectory(f"{gold.sample_id}#retry", gold.sample_id, "quote_then_retry", turns)
    _, truth = bfcl_multi_turn.load_entries()
    calls = bfcl_multi_turn.gold_turns(truth["multi_turn_base_11"], bfcl_multi_turn._signatures())
    made = bfcl_multi_turn.perturb("step_limit_mid_turn", calls, random.Random(0))
    assert made is not None
    limit = Trajectory("multi_turn_base_11#limit", "multi_turn_base_11", "step_limit", made[0])
    trajs = [gold, late, retry, limit]
    official, _ = bfcl_multi_turn.official_scores(trajs, make=False)
    compared = compare(trajs, bfcl_multi_turn.gapbench_scores(trajs), official)
    assert [c.official for c in compared] == [1.0, 0.0, 0.0, 0.0]
    assert all(c.agree for c in compared), compared
