"""GSM8K: gapbench's gsm8k suite (lm-eval's registry task through gapbench's runner, request
path and store) against lm-eval's own gsm8k task applying its filters and metric to the same
responses, in a process of its own. The full run is `python -m bench.fidelity gsm8k`."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.fidelity import gsm8k
from bench.fidelity.agreement import compare


@pytest.fixture
def gsm8k_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, list[int]]:
    """GSM8K-format items in a Hugging Face datasets cache that both sides read offline."""
    from multiprocessing import forkserver

    import datasets

    from harness.sweep.local import mp_context

    # The sweep's forkserver may have started (and imported datasets) before this test set
    # the cache: as it does in a whole test session. The runner must read the cache named now.
    mp_context(["inspect", "lm_eval"])  # inspect imports datasets
    forkserver.ensure_running()
    test, train, answers = gsm8k.items(4, seed=9)
    cache = tmp_path / "hf" / "datasets"
    cache.mkdir(parents=True)
    gsm8k.write_cache(cache, test, train)
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    monkeypatch.setenv("HF_DATASETS_CACHE", str(cache))
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setattr(datasets.config, "HF_DATASETS_CACHE", cache)
    return cache, answers


@pytest.mark.slow  # ~60 s: lm-eval indexes its task registry (~11 s) in each process
def test_slice_through_the_runner(gsm8k_cache: tuple[Path, list[int]]) -> None:
    cache, answers = gsm8k_cache
    forms = ["hashes", "answer_is", "hashes_thousands_comma", "hashes_dollar",
             "hashes_trailing_period", "two_hashes_wrong_first", "null", "wrong_value"]  # fmt: skip
    trajs = [t for t in gsm8k.trajectories(len(gsm8k.FORMS), 9, answers) if t.perturbation in forms]
    official, _ = gsm8k.official_scores(trajs, cache)
    compared = compare(trajs, gsm8k.gapbench_scores(trajs), official)
    by_form = {c.trajectory.perturbation: c.official for c in compared}
    # lm-eval's strict-match: '#### N' (commas and a trailing period ignored), nothing else
    assert by_form["hashes"] == by_form["hashes_thousands_comma"] == 1.0
    assert by_form["hashes_trailing_period"] == 1.0
    assert by_form["answer_is"] == by_form["hashes_dollar"] == by_form["null"] == 0.0
    assert all(c.agree for c in compared), [c for c in compared if not c.agree]
