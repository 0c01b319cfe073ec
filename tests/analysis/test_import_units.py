"""Units are data from import on: every imported score and SE is range-checked against its
declared scale (one-line import error), SEs keep their own unit, horizons stay minutes."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from harness.analysis import model_scores
from harness.errors import ConfigError
from harness.store.importers.epoch import BenchmarkMap, EpochMapping, collect_epoch

INDEX = (
    "Model version,ECI Score,Release date,Organization,Country,Model accessibility\n"
    "closed-a,140,2025-03-01,Org,US,API access\n"
    "open-b,130,2025-06-01,Org,US,Open weights (unrestricted)\n"
)


def dump(tmp_path: Path, rows: str, header: str = "Model version,Score,SE") -> Path:
    d = tmp_path / "dump"
    d.mkdir()
    (d / "epoch_capabilities_index.csv").write_text(INDEX)
    (d / "bench.csv").write_text(f"{header}\n{rows}")
    return d


def mapping(**kw: object) -> EpochMapping:
    base: dict[str, object] = {
        "file": "bench.csv",
        "suite": "bench",
        "score": "Score",
        "stderr": "SE",
        "scale": "fraction",
        "kind": "agentic",
        "reason": "test",
    }
    return EpochMapping(benchmarks=[BenchmarkMap.model_validate({**base, **kw})])


def test_se_in_percent_points_is_kept_in_its_unit_and_converted_for_the_ci(tmp_path):
    d = dump(tmp_path, "closed-a,0.30,3.6\nopen-b,0.20,2.0\n")
    out = collect_epoch(d, mapping(stderr_scale="percent"))
    rec = {r.model_id: r for r in out.records}
    assert rec["closed-a"].score == 0.30
    assert rec["closed-a"].extra["stderr"] == "3.6"  # as published, in its own unit
    assert rec["closed-a"].extra["stderr_unit"] == "percent"
    rows = pd.DataFrame(
        [
            {
                "model_id": r.model_id,
                "access": r.access,
                "release_date": r.release_date,
                "suite": r.suite,
                "suite_version": r.suite_version,
                "kind": r.kind,
                "source": r.source,
                "sample_id": r.sample_id,
                "status": r.status,
                "score": r.score,
                "extra": json.dumps(r.extra, sort_keys=True),
            }
            for r in out.records
        ]
    )
    s = model_scores(rows).set_index("model_id")
    # 0.30 +- 1.96 x 0.036, not +- 1.96 x 3.6 (the bug: "0.359, 95% CI -7.089 - 7.807")
    z = 1.959963984540054
    assert s.loc["closed-a", "ci_low"] == pytest.approx(0.30 - z * 0.036)
    assert s.loc["closed-a", "ci_high"] == pytest.approx(0.30 + z * 0.036)
    assert s.loc["closed-a", "ci_method"] == "published SE, ± 1.96 se"


@pytest.mark.parametrize(
    ("rows", "kw", "needle"),
    [
        # an SE of 3.6 declared as a fraction: a unit mix-up, refused with the row named
        ("closed-a,0.30,3.6\n", {}, "row 2 (closed-a): SE: standard error 3.6 outside 0..0.5"),
        ("closed-a,1.7,0.01\n", {}, "row 2 (closed-a): Score: score 1.7 outside 0..1"),
        ("closed-a,130,1\n", {"scale": "percent"}, "score 130 outside 0..100"),
        ("closed-a,-4,1\n", {"scale": "minutes"}, "score -4 outside 0..inf for scale minutes"),
    ],
)
def test_out_of_range_value_is_a_one_line_import_error(tmp_path, rows, kw, needle):
    d = dump(tmp_path, rows)
    with pytest.raises(ConfigError) as err:
        collect_epoch(d, mapping(**kw))
    msg = str(err.value)
    assert "\n" not in msg and needle in msg and "bench.csv" in msg


def test_minutes_are_not_scores(tmp_path):
    d = dump(tmp_path, "closed-a,45.5\nopen-b,12\n", header="Model version,Score")
    out = collect_epoch(d, mapping(scale="minutes", stderr=None))
    assert {r.extra["unit"] for r in out.records} == {"minutes"}
