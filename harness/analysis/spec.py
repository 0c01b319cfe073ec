"""Method choices as data: the specification an answer is computed under, and the primary one.

Every choice that moves the answer (window, censoring of first-model crossings, benchmark
set, kind mapping, averaging, bootstrap settings) is a field here, recorded with every result
(`Answer.spec`, the JSON's "spec"). `PRIMARY` is the one primary specification; the reasons
for each of its choices are in docs/methods.md ("The primary specification").

`spec_from_options` turns raw option values (CLI strings or Python values) into a spec and
refuses bad ones with one line naming the option (a `UserError`: exit 2 on the CLI).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, model_validator

from harness.errors import UserError

Censoring = Literal["both", "none", "closed", "open", "bounds"]
Averaging = Literal["benchmark", "pooled"]
Measure = Literal["lag_months", "catchup_months", "score_gap", "score_gap_logit"]
# which of gapbench's own rows join the frontiers (measures/own_rows.py): hub suites whose
# protocol is comparable and whose calibration does not disagree | only calibrated ones |
# every hub suite | none (published rows alone)
OwnRows = Literal["comparable", "calibrated", "all", "none"]
CENSORINGS: tuple[Censoring, ...] = get_args(Censoring)
AVERAGINGS: tuple[Averaging, ...] = get_args(Averaging)
MEASURES: tuple[Measure, ...] = get_args(Measure)
OWN_ROWS: tuple[OwnRows, ...] = get_args(OwnRows)
# the unit each measure's gaps and D are in, the same in every table, figure and JSON (score
# gaps are differences of 0-1 scores times 100: points)
MEASURE_UNITS: dict[str, str] = {
    "lag_months": "months",
    "catchup_months": "months",
    "score_gap": "points",
    "score_gap_logit": "logits",
}
# Fewer benchmarks of a kind than this in a specification: "insufficient", not a number.
# The interval over n benchmarks is widened by sqrt(n/(n-1)) t_{n-1}/z: x1.9 at 4, x2.7 at 3
# and x9.2 at 2 (the review's score-gap CI of -75 to +101 points); and a bootstrap over 3
# units has 10 distinct resamples, too few to say anything with.
MIN_BENCHMARKS_PER_KIND = 4
# censoring only changes the threshold lag and the catch-up time
CENSORED_MEASURES = ("lag_months", "catchup_months")
PRIMARY_MEASURE: Measure = "lag_months"


class AnalysisSpec(BaseModel):
    """One specification of the understatement analysis (every option, JSON-serialisable).

    since / until: window on the OPEN crossing date of a lag datapoint (and the span of the
    time-averaged score gap); None = open-ended.
    censoring: what happens to a threshold first crossed by a side's first evaluated model
    (its date says when testing began) and to thresholds the open side has not reached:
    "both" drops first-model crossings of either side; "closed" / "open" drop only that
    side's; "none" keeps them all as if exact; "bounds" keeps them as one-sided bounds and
    estimates with a censored-data (maximum-likelihood normal) fit.
    benchmarks: a subset of benchmark names (None = all).
    mapping: a kind-mapping file (benchmark -> standard | agentic | exclude) applied on top of
    the stored kinds, without re-importing (None = the stored kinds).
    averaging: "benchmark" (each benchmark one unit, the mean over benchmarks) or "pooled"
    (every datapoint one unit: Ihle's pooling).
    replicates: bootstrap replicates of this specification's D;
    curve_replicates: of each specification on the sensitivity curve, of each leave-one-out
    set and of each simulated data set of the power analysis (fewer, for speed).
    power_simulations: simulated data sets behind the power and minimum detectable effect.
    own_rows: which own rows join the published frontiers (measures/own_rows.py):
    "comparable" (hub suites with the benchmark's items or a subset, calibration not
    disagreeing), "calibrated" (and a model scored both ways agrees), "all", or "none".
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    since: date | None = None
    until: date | None = None
    censoring: Censoring = "both"
    benchmarks: tuple[str, ...] | None = None
    mapping: str | None = None
    averaging: Averaging = "benchmark"
    own_rows: OwnRows = "comparable"
    replicates: int = Field(default=2000, ge=100, le=100_000)
    curve_replicates: int = Field(default=200, ge=50, le=20_000)
    power_simulations: int = Field(default=400, ge=50, le=100_000)
    seed: int = Field(default=0, ge=0)
    ci: float = Field(default=0.95, gt=0.5, lt=1.0)

    @model_validator(mode="after")
    def _ordered(self) -> AnalysisSpec:
        if self.since is not None and self.until is not None and self.since > self.until:
            raise ValueError(f"--since {self.since} is after --until {self.until}")
        return self

    @property
    def window(self) -> tuple[date | None, date | None]:
        return (self.since, self.until)

    def to_dict(self) -> dict[str, object]:
        """Every option, JSON-ready (dates as ISO strings)."""
        return self.model_dump(mode="json")

    def same_method(self, other: AnalysisSpec) -> bool:
        """True when both specs choose the same method (bootstrap settings aside)."""
        keys = ("since", "until", "censoring", "benchmarks", "mapping", "averaging", "own_rows")
        return all(getattr(self, k) == getattr(other, k) for k in keys)


# The primary specification. Why each choice: docs/methods.md, "The primary specification".
PRIMARY = AnalysisSpec(
    since=date(2025, 1, 1),
    until=None,
    censoring="bounds",
    benchmarks=None,
    mapping=None,
    averaging="benchmark",
    replicates=2000,
    curve_replicates=200,
    power_simulations=400,
    seed=0,
    ci=0.95,
)


def window_label(since: date | None, until: date | None) -> str:
    if since is None and until is None:
        return "all dates"
    if until is None:
        return f"since {since}"
    if since is None:
        return f"until {until}"
    return f"{since} to {until}"


def _date(option: str, value: object) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        raise UserError(f"{option}: not a date {value!r} (use YYYY-MM-DD)") from None


def _choice(option: str, value: object, allowed: tuple[str, ...], default: str) -> str:
    if value is None:
        return default
    text = str(value).strip()
    if text not in allowed:
        raise UserError(f"{option}: unknown choice {value!r} (choose from {', '.join(allowed)})")
    return text


def _number(option: str, value: object, kind: type, default: object) -> object:
    if value is None:
        return default
    try:
        return kind(value)
    except (TypeError, ValueError):
        raise UserError(f"{option}: not a number {value!r}") from None


def spec_from_options(
    *,
    since: object = None,
    until: object = None,
    censoring: object = None,
    benchmarks: object = None,
    mapping: object = None,
    averaging: object = None,
    own_rows: object = None,
    replicates: object = None,
    curve_replicates: object = None,
    power_simulations: object = None,
    seed: object = None,
    ci: object = None,
    base: AnalysisSpec = PRIMARY,
) -> AnalysisSpec:
    """A spec from option values (strings from the CLI or Python values); None keeps `base`,
    an empty string opens that end of the window (`since=""`: all dates).

    Raises UserError with one line naming the option. Benchmark names are checked against
    the data later (`answer` knows which exist); here only their syntax.
    """
    values: dict[str, object] = base.model_dump()
    if since is not None:
        values["since"] = _date("--since", since)
    if until is not None:
        values["until"] = _date("--until", until)
    values["censoring"] = _choice("--censoring", censoring, CENSORINGS, base.censoring)
    values["averaging"] = _choice("--averaging", averaging, AVERAGINGS, base.averaging)
    values["own_rows"] = _choice("--own-rows", own_rows, OWN_ROWS, base.own_rows)
    if benchmarks is not None:
        names = (
            [b.strip() for b in benchmarks.split(",")]
            if isinstance(benchmarks, str)
            else [str(b).strip() for b in benchmarks]  # type: ignore[attr-defined]
        )
        if not names or any(not n for n in names):
            raise UserError(f"--benchmarks: empty benchmark name in {benchmarks!r}")
        values["benchmarks"] = tuple(sorted(set(names)))
    if mapping is not None:
        path = Path(str(mapping))
        if not path.is_file():
            raise UserError(f"--mapping: file not found: {path}")
        values["mapping"] = str(path)
    values["replicates"] = _number("--replicates", replicates, int, base.replicates)
    values["curve_replicates"] = _number(
        "--curve-replicates", curve_replicates, int, base.curve_replicates
    )
    values["power_simulations"] = _number(
        "--power-simulations", power_simulations, int, base.power_simulations
    )
    values["seed"] = _number("--seed", seed, int, base.seed)
    values["ci"] = _number("--ci", ci, float, base.ci)
    return validated(values)


_OPTION = {
    "replicates": "--replicates",
    "curve_replicates": "--curve-replicates",
    "power_simulations": "--power-simulations",
    "seed": "--seed",
    "ci": "--ci",
    "since": "--since",
    "until": "--until",
}


def validated(values: dict[str, object]) -> AnalysisSpec:
    """AnalysisSpec(**values), with pydantic's complaint turned into one line naming the option."""
    from pydantic import ValidationError

    try:
        return AnalysisSpec.model_validate(values)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = err["loc"][0] if err["loc"] else ""
        msg = str(err["msg"]).removeprefix("Value error, ")
        if loc in _OPTION:
            raise UserError(f"{_OPTION[str(loc)]}: {msg} (got {err.get('input')!r})") from None
        raise UserError(msg) from None
