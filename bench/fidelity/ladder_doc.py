"""The ladder's part of docs/fidelity.md, written from results/ladder/{horizon,power}.json
(made by `python -m bench.fidelity ladder`). Every number and verdict here comes from those
files; the words around them are fixed."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from pydantic import BaseModel, ConfigDict

AIM = (0.93, 0.97)  # the coverage the issue asks of a 95% interval
Table = Callable[[list[str], list[list[object]]], list[str]]  # (head, rows) -> markdown lines


class _Record(BaseModel):
    model_config = ConfigDict(extra="allow", frozen=True)


class HorizonRow(_Record):
    replicates: int
    true_h50: float
    inside_rungs: bool
    ok: int
    censored_above: int
    censored_below: int
    insufficient: int
    covered: int
    coverage: float | None
    coverage_ci: list[float]
    miss_low: float | None
    miss_high: float | None
    median_h50: float | None
    median_log2_bias: float | None
    median_log2_width: float | None
    unbounded_ci: int
    median_lower_bound: float | None


class Rate(_Record):
    pairs: int
    detected: int
    rate: float | None
    rate_ci: list[float]
    mean_d: float | None


class CurvePoint(Rate):
    items_per_rung: int


class RealPath(_Record):
    replicates_per_p: int
    samples: int
    samples_expected: int
    compared: int
    equal_to_prediction: int
    not_scored: int
    differences: list[str]
    horizon_by_p: dict[str, HorizonRow]
    power: Rate


class Stamp(_Record):
    seed: int
    suite_version: str
    rungs: list[int]
    items_per_rung: int
    level: float
    commit: str
    generated_by: str


class HorizonStudy(Stamp):
    ci_method: str
    replicates_per_p: int
    ps: list[float]
    real_path: RealPath
    simulated: dict[str, dict[str, HorizonRow]]  # "method@items per rung" -> p -> row


class Effect(_Record):
    closed_p: float
    open_p: float
    standard: str
    true_d: float


class OtherEffect(_Record):
    closed_p: float
    open_p: float
    true_d: float
    analytic_items_per_rung: int


class PowerStudy(Stamp):
    real_path: Rate
    effect: Effect
    pairs_per_size: int
    curve: list[CurvePoint]
    at_size: CurvePoint
    at_old_size: CurvePoint
    type1: Rate
    items_per_rung_for_80: float | None
    analytic_items_per_rung_for_80: int
    other_effects: list[OtherEffect]


def load(folder: Path) -> tuple[HorizonStudy, PowerStudy] | None:
    """Both files, or None when the study has not been run (either missing)."""
    h, p = folder / "horizon.json", folder / "power.json"
    if not (h.exists() and p.exists()):
        return None
    return (
        HorizonStudy.model_validate_json(h.read_bytes()),
        PowerStudy.model_validate_json(p.read_bytes()),
    )


def _pct(x: float | None) -> str:
    return "n/a" if x is None else f"{100 * x:.1f}%"


def _ci(ci: list[float]) -> str:
    return f"{100 * ci[0]:.1f}-{100 * ci[1]:.1f}%"


def _num(x: float | None, digits: int = 1) -> str:
    return "n/a" if x is None else f"{x:.{digits}f}"


def _p(key: str) -> str:
    return f"{float(key):.2f}"


def inside_coverages(h: HorizonStudy) -> list[float]:
    """Coverage at the ladder's size, over the p whose true h50 lies inside the rungs."""
    rows = h.simulated[f"isotonic@{h.items_per_rung}"].values()
    return [r.coverage for r in rows if r.inside_rungs and r.coverage is not None]


def section(h: HorizonStudy, pw: PowerStudy, tab: Table) -> list[str]:
    """The section's lines; `tab` renders a markdown table (doc._table)."""
    rungs = ", ".join(str(r) for r in h.rungs)
    real = h.real_path
    lines = [
        "## The horizon ladder: agents of known competence",
        "",
        "Scripted agents (`bench/fidelity/ladder_agents.py`) take the ladder (version "
        f"{h.suite_version}: {h.items_per_rung} items at each of h = {rungs}). In the agentic "
        "form each step, a `lookup` call with the right key, succeeds with probability p; a "
        "failed step is a plausible wrong one (a key with a typo, the previous key again, an "
        "early answer, the key given as the answer) and the answer is then wrong. So success "
        "is p^h, and the true 50% horizon is h50 = ln 0.5 / ln p. In the standard form an "
        "agent answers right with a probability set per rung (here 0.99^h), else with a "
        "distractor's code. Each outcome is fixed by a hash of (agent, item, step): it can be "
        "predicted without running anything, and distinct agents are independent.",
        "",
        "### Through the real path",
        "",
    ]
    same = real.equal_to_prediction == real.compared == real.samples_expected
    lines.append(
        f"{real.replicates_per_p} replicates of each p ({real.samples_expected} samples) ran "
        "through gapbench as a user's model would: the fake OpenAI-compatible endpoint over "
        "real HTTP, the inspect and lm-eval runners, the request-path proxy, the suites' "
        f"scorers and the store. {real.equal_to_prediction} of {real.compared} stored "
        f"outcomes equal the agents' own predictions; {real.not_scored} samples were not "
        "scored. On these replicates alone the horizon's CI held the true h50 in "
        + ", ".join(
            f"{r.covered} of {r.replicates} (p = {_p(k)})" for k, r in real.horizon_by_p.items()
        )
        + "."
    )
    lines.append("")
    if same:
        lines.append(
            "Since every outcome is the predicted one, the replicates below are simulated from "
            "the same coins (the first of them are exactly the real-path runs): they are what "
            "the real path gives, without its hours of CPU per hundred replicates. The "
            "analysis is the production one (`horizons()`, `ladder()`) in both cases."
        )
    else:
        lines.append(
            "Some outcomes differ from the prediction, so the simulated numbers below do not "
            "stand for the real path. Differences: " + "; ".join(real.differences) + "."
        )
    lines += ["", "### Does the horizon recover the true h50?", ""]
    sim = h.simulated[f"isotonic@{h.items_per_rung}"]
    covs = inside_coverages(h)
    lo, hi = (min(covs), max(covs)) if covs else (None, None)
    met = bool(covs) and AIM[0] <= min(covs) and max(covs) <= AIM[1]
    inside_ps = ", ".join(_p(k) for k, r in sim.items() if r.inside_rungs)
    n = next(iter(sim.values())).replicates
    lines.append(
        f"{n} replicates per p, {h.items_per_rung} items per rung, 95% CIs ({h.ci_method}). "
        f"Where the true h50 lies inside the rungs (p = {inside_ps}) the CI held it in "
        f"{_pct(lo)} to {_pct(hi)} of replicates: "
        + (
            f"inside the aim of {_pct(AIM[0])}-{_pct(AIM[1])}."
            if met
            else f"outside the aim of {_pct(AIM[0])}-{_pct(AIM[1])}."
        )
    )
    lines.append("")
    head = [
        "p",
        "true h50",
        "point estimates",
        "bounds h50 > max",
        "bounds h50 < min",
        "CI holds truth",
        "coverage (95% CI)",
        "CI above truth",
        "CI below truth",
        "median h50",
        "median CI width (doublings)",
    ]
    rows: list[list[object]] = [
        [
            _p(k),
            _num(r.true_h50),
            r.ok,
            r.censored_above,
            r.censored_below,
            f"{r.covered} of {r.replicates}",
            f"{_pct(r.coverage)} ({_ci(r.coverage_ci)})",
            _pct(r.miss_low),
            _pct(r.miss_high),
            _num(r.median_h50),
            _num(r.median_log2_width, 2),
        ]
        for k, r in sim.items()
    ]
    lines += tab(head, rows)
    lines.append("")
    for k, r in sim.items():
        if not r.inside_rungs:
            lines.append(
                f"For p = {_p(k)} the true h50, {_num(r.true_h50)} steps, lies beyond the "
                f"largest rung ({max(h.rungs)}): no ladder of these rungs can give it as a "
                f"number, and the right answer is a bound. {r.censored_above} of {r.replicates} "
                f"replicates report h50 > {max(h.rungs)} (status `censored`, no point "
                f"estimate; median 95% lower limit {_num(r.median_lower_bound)}), {r.ok} a "
                f"point estimate inside the rungs; the interval held the truth in "
                f"{_pct(r.coverage)}."
            )
            lines.append("")
    lines += [
        'The same replicates under METR\'s logistic fit (`method="logistic"`) and at version '
        "1's size: the logistic cannot follow p^h, so its h50 is biased (median bias in "
        "doublings below) and its coverage falls as items are added.",
        "",
    ]
    head = [
        "method",
        "items per rung",
        "p",
        "coverage",
        "CI above / below truth",
        "median bias (doublings)",
    ]
    rows = []
    for key, by_p in sorted(h.simulated.items()):
        method, size = key.split("@")
        for k, r in by_p.items():
            if r.inside_rungs:
                rows.append(
                    [
                        method,
                        size,
                        _p(k),
                        f"{_pct(r.coverage)} ({_ci(r.coverage_ci)})",
                        f"{_pct(r.miss_low)} / {_pct(r.miss_high)}",
                        _num(r.median_log2_bias, 3),
                    ]
                )
    lines += tab(head, rows)
    lines += ["", *power_lines(pw, tab), *OWN_AGENTS]
    return lines


OWN_AGENTS = [
    "### Your own agents",
    "",
    "Any competence can be planted the same way and run through the same path (from the "
    "repository root, which holds `bench/` and the fake endpoint in `tests/fakeapi`):",
    "",
    "```python",
    "from pathlib import Path",
    "from bench.fidelity.ladder_agents import KnownAgent",
    "from bench.fidelity.ladder_path import Entrant, compare, run_through_path",
    "from harness.analysis import horizons, ladder",
    "",
    "rungs = (1, 2, 4, 8, 16, 32)",
    "closed = KnownAgent(0.97, tuple((h, 0.98) for h in rungs), seed=1, replicate=0)",
    "opened = KnownAgent(0.93, tuple((h, 0.98) for h in rungs), seed=1, replicate=0, answer_p=0.99)",
    'entrants = [Entrant(closed, "closed", ("agentic", "standard")),',
    '            Entrant(opened, "open", ("agentic", "standard"))]',
    'samples = run_through_path(entrants, per_rung=30, workdir=Path("/tmp/mine"), port=0)',
    "print(compare(samples, {a.name: a for a in (closed, opened)}, expected=720))",
    'print(horizons(samples[samples.suite == "ladder_agentic"])[0])  # true h50: a.true_h50()',
    "print(ladder(samples))                                   # D per rung and pooled",
    "```",
    "",
]


def power_lines(pw: PowerStudy, tab: Table) -> list[str]:
    e = pw.effect
    at, old, t1 = pw.at_size, pw.at_old_size, pw.type1
    lines = [
        "### Does the paired test find an agentic-only decay?",
        "",
        f"A closed agent (p = {e.closed_p:.2f} per step) against an open one (p = "
        f"{e.open_p:.2f}), answering the standard form right with probability "
        f"{e.standard}: the open model's deficit is agentic only, D = {e.true_d:.3f} (the "
        "mean over rungs of the agentic gap minus the standard gap). `ladder()` detects it "
        "when the pooled D's 95% CI lies above 0.",
        "",
        f"- At this ladder's size ({at.items_per_rung} items per rung): power "
        f"{_pct(at.rate)} ({_ci(at.rate_ci)}, {at.pairs} simulated pairs); through the real "
        f"path it found the decay in {pw.real_path.detected} of {pw.real_path.pairs} pairs.",
        f"- At version 1's size ({old.items_per_rung} per rung): power {_pct(old.rate)} "
        f"({_ci(old.rate_ci)}).",
        f"- With no difference (both p = {e.closed_p:.2f}) it reported one in "
        f"{_pct(t1.rate)} of pairs ({_ci(t1.rate_ci)}; the nominal one-sided rate is 2.5%).",
        "- 80% power needs "
        + (
            f"{pw.items_per_rung_for_80:g} items per rung by simulation"
            if pw.items_per_rung_for_80 is not None
            else "more items per rung than simulated"
        )
        + f" ({pw.analytic_items_per_rung_for_80} by the normal approximation).",
        "",
    ]
    lines += tab(
        ["items per rung", "power", "95% CI", "mean D"],
        [[c.items_per_rung, _pct(c.rate), _ci(c.rate_ci), _num(c.mean_d, 3)] for c in pw.curve],
    )
    lines += [
        "",
        "Smaller effects need more items (normal approximation, the same standard form):",
        "",
    ]
    lines += tab(
        ["closed p", "open p", "D", "items per rung for 80% power"],
        [
            [f"{o.closed_p:.2f}", f"{o.open_p:.2f}", f"{o.true_d:.3f}", o.analytic_items_per_rung]
            for o in pw.other_effects
        ],
    )
    lines.append("")
    return lines


def readme_clause(h: HorizonStudy, pw: PowerStudy) -> str:
    covs = inside_coverages(h)
    n = next(iter(h.simulated[f"isotonic@{h.items_per_rung}"].values())).replicates
    return (
        f"With scripted agents of known competence, the horizon's 95% CI holds the true h50 in "
        f"{_pct(min(covs))}-{_pct(max(covs))} of {n} replicates per p where it lies inside "
        f"the rungs (beyond them it is reported as a bound), and the paired ladder test finds a "
        f"planted agentic-only decay (D = {pw.effect.true_d:.2f}) with power "
        f"{_pct(pw.at_size.rate)} at {pw.at_size.items_per_rung} items per rung."
    )
