"""The answer as the report shows it: analysis's Answer, read field by field, unchanged.

One place knows the shape of `harness.analysis.answer.Answer`; templates see `AnswerView`.
Numbers are printed with analysis's own formatter (`harness.analysis.wording.num`), so the
report says exactly what `gapbench analyze --format json`, the README and the docs say. With
no answer (analysis did not compute one) the view says so instead of inventing a verdict.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pandas as pd

from harness.analysis.inference.curve import VERDICT_RULE
from harness.analysis.wording import UNIT_WORDS, num, pct
from harness.report import _format as fmt

if TYPE_CHECKING:
    from harness.analysis.answer import Answer

MEASURE_WORDS = {
    "lag_months": "threshold lag",
    "catchup_months": "catch-up time",
    "score_gap": "score gap",
    "score_gap_logit": "logit score gap",
}


NEXT_SHOWN = 5  # ranked evaluations on the first screen (all of them in data/)
NEXT_COMMAND = "gapbench analyze --next-sweep next.yaml"


@dataclass(frozen=True)
class AnswerView:
    verdict: str  # supported | contradicted | inconclusive | not computed
    head: str  # the verdict in one plain sentence
    detail: str = ""  # the rest of analysis's sentence: D, the curve, cautions
    # analysis's statements, one per question (known / ruled out / detectable / what next)
    statements: tuple[tuple[str, str], ...] = ()
    next_rows: tuple[dict[str, Any], ...] = ()  # the first ranked missing evaluations
    next_total: int = 0
    next_command: str = NEXT_COMMAND
    # the first ranked evaluation in words, for the first screen's "what to run next"
    next_first: str = ""
    why_lag: str = ""
    ci_method: str = ""  # how the primary D's interval was made, named where it is shown
    rule: str = ""  # the verdict's written rule (analysis's VERDICT_RULE)
    understatement: tuple[dict[str, Any], ...] = ()  # the answer's rows, units and methods
    influence_rows: tuple[dict[str, Any], ...] = ()  # D(lag) without each benchmark, top 10
    influence: pd.DataFrame = field(default_factory=pd.DataFrame)  # every measure, all rows
    next_evaluations: pd.DataFrame = field(default_factory=pd.DataFrame)  # every ranked one
    sources: tuple[dict[str, Any], ...] = ()  # per source: rows, models, data version
    code_commit: str = ""
    rows: int | None = None
    measure: str = ""
    unit: str = ""
    d: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    p_value: float | None = None
    ci_level: float = 0.95
    agentic: float | None = None
    standard: float | None = None
    n_agentic: int | None = None
    n_standard: int | None = None
    window: str = ""
    reason: str = ""  # why the primary D has no value
    rests_on: str = ""
    curve_title: str = ""
    sensitivity: pd.DataFrame = field(default_factory=pd.DataFrame)
    substitutes: pd.DataFrame = field(default_factory=pd.DataFrame)
    coverage: pd.DataFrame = field(default_factory=pd.DataFrame)
    crosschecks: pd.DataFrame = field(default_factory=pd.DataFrame)
    options: tuple[tuple[str, str], ...] = ()
    json: str | None = None

    @property
    def computed(self) -> bool:
        return self.verdict != "not computed"

    def show(self, value: float | None, *, signed: bool = False) -> str:
        return num(value, self.unit, signed=signed) if value is not None else fmt.MISSING

    @property
    def d_text(self) -> str:
        return self.show(self.d, signed=True)

    @property
    def ci_text(self) -> str:
        return f"{self.show(self.ci_low)} to {self.show(self.ci_high)}"

    @property
    def unit_text(self) -> str:
        return UNIT_WORDS.get(self.unit, self.unit)

    @property
    def measure_text(self) -> str:
        return MEASURE_WORDS.get(self.measure, self.measure)

    @property
    def ci_label(self) -> str:
        return f"{self.ci_level:.0%} CI"


def _float(v: Any) -> float | None:
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    return f if math.isfinite(f) else None


def _int(v: Any) -> int | None:
    f = _float(v)
    return None if f is None else int(f)


def split_sentence(answer: Answer) -> tuple[str, str]:
    """(the verdict sentence, the rest): analysis's sentence opens with `Answer.head`."""
    head = answer.head
    return head, answer.sentence.removeprefix(head).strip()


def not_computed(headline: tuple[str, ...]) -> AnswerView:
    first = headline[0] if headline else ""
    return AnswerView(
        verdict="not computed",
        head=first or "No verdict: the analysis did not produce an answer for these data.",
    )


def rests_on(primary: Mapping[str, Any], data: Mapping[str, Any], sources: str) -> str:
    """One line on what the answer rests on: data, dates, benchmarks per kind."""
    parts = []
    rows = data.get("rows")
    if rows is not None:
        parts.append(f"{int(rows):,} result rows ({sources})" if sources else f"{int(rows):,} rows")
    if primary.get("window"):
        parts.append(f"open crossings {primary['window']}")
    if primary.get("n_agentic") is not None and primary.get("n_standard") is not None:
        parts.append(
            f"{primary['n_agentic']} agentic and {primary['n_standard']} standard benchmarks"
        )
    return ("Rests on " + "; ".join(parts) + ".") if parts else ""


STATEMENT_LABELS = (
    ("estimate", "Estimate"),
    ("ruled_out", "Ruled out"),
    ("detectable", "Detectable"),
    ("curve", "Robustness"),
    ("caution", "Caution"),
    ("settle", "What would settle it"),
)


def view(answer: Answer | None, headline: tuple[str, ...] = (), sources: str = "") -> AnswerView:
    """The view of analysis's Answer (None gives a 'not computed' view)."""
    if answer is None:
        return not_computed(headline)
    primary: Mapping[str, Any] = answer.primary or {}
    summary: Mapping[str, Any] = answer.summary or {}
    head, detail = split_sentence(answer)
    n = int(summary.get("n_specs") or 0)
    curve_title = (
        f"Threshold lag: D > 0 in {pct(summary.get('share_d_positive'))} of {n:,} "
        f"specifications;\nCI above 0 in {pct(summary.get('share_ci_above_zero'))}, below 0 "
        f"in {pct(summary.get('share_ci_below_zero'))}"
        if n
        else ""
    )
    said = answer.words.to_dict()
    statements = tuple((label, said[key]) for key, label in STATEMENT_LABELS if said.get(key))
    ranked = answer.settle.ranked
    next_first = ""
    if not ranked.empty:
        top = ranked.iloc[0]
        next_first = (
            f"{top['model_id']} ({top['access']}) on {top['benchmark']} "
            f"({float(top['width_gain']):.2f} months narrower, as in the table below)"
        )
    data: Mapping[str, Any] = answer.data or {}
    spec = answer.spec.to_dict()
    return AnswerView(
        verdict=str(answer.verdict),
        head=head,
        detail=detail,
        measure=str(primary.get("measure") or ""),
        unit=str(primary.get("unit") or ""),
        d=_float(primary.get("d")),
        ci_low=_float(primary.get("ci_low")),
        ci_high=_float(primary.get("ci_high")),
        p_value=_float(primary.get("p_one_sided")),
        ci_level=float(answer.spec.ci),
        agentic=_float(primary.get("agentic")),
        standard=_float(primary.get("standard")),
        n_agentic=_int(primary.get("n_agentic")),
        n_standard=_int(primary.get("n_standard")),
        window=str(primary.get("window") or ""),
        reason=str(primary.get("reason") or ""),
        rests_on=rests_on(primary, answer.data or {}, sources),
        curve_title=curve_title,
        sensitivity=answer.sensitivity,
        substitutes=answer.substitutes if answer.substitutes is not None else pd.DataFrame(),
        coverage=answer.coverage,
        crosschecks=answer.crosschecks,
        options=tuple((str(k), _text(v)) for k, v in spec.items()),
        json=answer.to_json(),
        statements=statements,
        next_rows=tuple(ranked.head(NEXT_SHOWN).to_dict("records")),
        next_total=len(ranked),
        next_first=next_first,
        why_lag=str(summary.get("why") or ""),
        ci_method=str(primary.get("ci_method") or ""),
        rule=VERDICT_RULE,
        understatement=tuple(_measure_rows(answer.understatement)),
        influence=answer.influence,
        next_evaluations=ranked,
        influence_rows=tuple(
            answer.influence[answer.influence["measure"] == "lag_months"]
            .head(10)
            .to_dict("records")
        ),
        sources=tuple(dict(x) for x in data.get("sources") or ()),
        code_commit=str(data.get("code_commit") or ""),
        rows=_int(data.get("rows")),
    )


def _measure_rows(table: pd.DataFrame) -> list[dict[str, Any]]:
    """The answer's understatement rows as the index shows them: each number in its
    measure's unit (analysis's formatter), the unit and the interval's method named."""
    out = []
    for r in table.to_dict("records"):
        unit = str(r.get("unit") or "")
        ok = r.get("status") == "ok"
        out.append(
            {
                "measure": MEASURE_WORDS.get(str(r["measure"]), str(r["measure"])),
                "unit": UNIT_WORDS.get(unit, unit),
                "agentic": num(r.get("agentic"), unit) if ok else "",
                "standard": num(r.get("standard"), unit) if ok else "",
                "d": num(r.get("d"), unit, signed=True) if ok else "",
                "ci": f"{num(r.get('ci_low'), unit)} to {num(r.get('ci_high'), unit)}"
                if ok
                else "",
                "p": r.get("p_one_sided") if ok else None,
                "n": f"{r.get('n_agentic')} / {r.get('n_standard')}",
                "ok": ok,
                "reason": str(r.get("reason") or ""),
                "method": str(r.get("ci_method") or ""),
            }
        )
    return out


def _text(v: object) -> str:
    if v is None:
        return "none"
    if isinstance(v, (list, tuple)):
        return ", ".join(str(x) for x in v) or "none"
    return str(v)
