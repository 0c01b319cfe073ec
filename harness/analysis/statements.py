"""The answer in plain words, one statement per thing a reader asks, generated from the
numbers (so the README, docs, CLI and report say the same thing):

- verdict: the written rule's outcome (`wording.VERDICT_HEADS`);
- estimate: D(lag) under the specification, with its CI and what it rests on;
- ruled_out: the effects the data exclude (one-sided bounds at the CI's level);
- detectable: the minimum detectable effect at 80% power, and the power at +2 months;
- curve: the threshold-lag specification curve's agreement (full benchmark sets);
- caution: thin open coverage, when flagged;
- settle: what data would settle it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from harness.analysis.inference.power import TARGET_POWER, Power
from harness.analysis.inference.settle import Settle
from harness.analysis.spec import AnalysisSpec
from harness.analysis.wording import VERDICT_HEADS, ci_text, num, outward, pct, spec_words

PROBE_D = 2.0  # months: the planted effect whose power the statement names


@dataclass(frozen=True)
class Sentences:
    verdict: str
    estimate: str
    ruled_out: str
    detectable: str
    curve: str
    caution: str
    settle: str

    @property
    def text(self) -> str:
        """Every statement in order, as one paragraph."""
        parts = (
            self.verdict,
            self.estimate,
            self.ruled_out,
            self.detectable,
            self.curve,
            self.caution,
            self.settle,
        )
        return " ".join(p for p in parts if p)

    def to_dict(self) -> dict[str, str]:
        return {
            "verdict": self.verdict,
            "estimate": self.estimate,
            "ruled_out": self.ruled_out,
            "detectable": self.detectable,
            "curve": self.curve,
            "caution": self.caution,
            "settle": self.settle,
        }


def _m(x: object, *, signed: bool = False) -> str:
    return num(x, "months", signed=signed)


def estimate(spec: AnalysisSpec, is_primary: bool, primary: Mapping[str, object]) -> str:
    which = "the primary specification" if is_primary else "this (non-primary) specification"
    if primary.get("status") != "ok":
        return f"Under {which} ({spec_words(spec)}) D(lag) has no value: {primary.get('reason')}."
    return (
        f"Under {which} ({spec_words(spec)}), open models trail by "
        f"{_m(primary['agentic'])} months on agentic benchmarks and "
        f"{_m(primary['standard'])} on standard ones: D = {_m(primary['d'], signed=True)} "
        f"months ({ci_text(primary, 'months', spec.ci)}; {primary['n_agentic']} agentic and "
        f"{primary['n_standard']} standard benchmarks)."
    )


def ruled_out(primary: Mapping[str, object], level: float) -> str:
    """The effects the one-sided bounds exclude, in words."""
    if primary.get("status") != "ok":
        return ""
    lo, hi = float(primary["at_least"]), float(primary["at_most"])  # type: ignore[arg-type]
    if not (np.isfinite(lo) and np.isfinite(hi)):
        return ""
    conf = f"{level:.0%} confidence, one-sided"
    # each bound rounded outward: the words never exclude more than the data do
    lo_w, hi_w = outward(lo, up=False), outward(hi, up=True)
    if lo > 0:
        return (
            f"The agentic lag is at least {_m(lo_w)} months longer than the standard lag and "
            f"not more than {_m(hi_w)} months longer ({conf})."
        )
    if hi < 0:
        return (
            f"The agentic lag is at least {_m(-hi_w)} months shorter than the standard lag and "
            f"not more than {_m(-lo_w)} months shorter ({conf})."
        )
    return (
        f"An agentic lag more than {_m(hi_w)} months longer than the standard lag is ruled "
        f"out, and one more than {_m(-lo_w)} months shorter ({conf} each)."
    )


def detectable(power: Power) -> str:
    if power.status != "ok" or not np.isfinite(power.mde):
        return ""
    return (
        f"The smallest D these data would detect (CI above 0) in {TARGET_POWER:.0%} of "
        f"{power.n_sims} simulated data sets like them is {_m(power.mde)} months; a true D of "
        f"+{PROBE_D:g} months would be found in {pct(power.power_at(PROBE_D))} of them."
    )


def curve(summary: Mapping[str, object]) -> str:
    n = int(summary.get("n_specs") or 0)  # type: ignore[call-overload]
    if not n:
        return ""
    return (
        f"On the threshold lag, {pct(summary.get('share_d_positive'))} of {n} "
        f"specifications (full benchmark sets) give D > 0; the CI lies above 0 in "
        f"{pct(summary.get('share_ci_above_zero'))} and below 0 in "
        f"{pct(summary.get('share_ci_below_zero'))}."
    )


def settle(s: Settle) -> str:
    """What would settle it: more benchmarks (at the current spread), or the ranked missing
    evaluations; nothing when the CI already settles it."""
    if s.status != "ok" or s.more_benchmarks_per_kind == 0:
        return ""
    goal = f"Settling it (a CI above 0, below 0, or within ±{s.target:g} month)"
    more = (
        f"about {s.more_benchmarks_per_kind} more benchmarks of each kind at the current spread"
        if s.more_benchmarks_per_kind is not None
        else "more benchmarks than the current spread allows"
    )
    a = s.in_order
    k = int(a.get("added") or 0)  # type: ignore[call-overload]
    if s.evaluations_to_settle is not None:
        return (
            f"{goal} would take {more}, or the first {s.evaluations_to_settle} of the missing "
            "evaluations ranked by how much each narrows the CI (their scores predicted from "
            "each model's capability)."
        )
    if k and a.get("ci_low") is not None:
        return (
            f"{goal} would take {more}; the {k} missing evaluations that help most, run "
            f"together, would narrow the CI only to {_m(a['ci_low'])} to {_m(a['ci_high'])} "
            "months (scores predicted): the spread between benchmarks, not missing "
            "evaluations, keeps it open."
        )
    return f"{goal} would take {more}."


def sentences(
    verdict: str,
    spec: AnalysisSpec,
    is_primary: bool,
    primary: Mapping[str, object],
    summary: Mapping[str, object],
    bias_note: str,
    power: Power,
    s: Settle,
) -> Sentences:
    """Every statement of the answer (see the module doc)."""
    return Sentences(
        verdict=VERDICT_HEADS[verdict],
        estimate=estimate(spec, is_primary, primary),
        ruled_out=ruled_out(primary, spec.ci),
        detectable=detectable(power),
        curve=curve(summary),
        caution=f"{bias_note[:1].upper()}{bias_note[1:]}." if bias_note else "",
        settle=settle(s),
    )
