"""`import gapbench` offers what harness.api offers (its docstring says the names are the
same), and what a notebook needs to ask for the answer under another specification."""

from __future__ import annotations

import inspect

import gapbench
from harness import api
from harness.analysis import spec


def test_gapbench_re_exports_every_api_name_as_the_same_object() -> None:
    missing = sorted(set(api.__all__) - set(gapbench.__all__))
    assert not missing, f"harness.api names gapbench lacks: {missing}"
    for name in api.__all__:
        assert getattr(gapbench, name) is getattr(api, name), name
    assert set(gapbench.__all__) <= set(dir(gapbench))


def test_the_answer_and_its_specification_are_reachable_from_gapbench() -> None:
    assert gapbench.answer is api.answer and gapbench.next_sweep is api.next_sweep
    assert gapbench.AnalysisSpec is spec.AnalysisSpec and gapbench.PRIMARY is spec.PRIMARY
    # every `gapbench analyze` method option is a spec_from_options argument
    made = gapbench.spec_from_options(censoring="none", since="", replicates=100)
    assert isinstance(made, gapbench.AnalysisSpec) and made.censoring == "none"
    assert made.since is None and not made.same_method(gapbench.PRIMARY)
    params = inspect.signature(gapbench.answer).parameters
    assert "spec" in params and "substitute" in params
