"""`gapbench analyze` on the imported Epoch dump: the JSON equals the Python API's answer, and
every bad method option is one line naming the option, exit 2."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from harness import api, exitcodes
from harness.analysis.spec import spec_from_options
from harness.cli import main
from tests.fixtures.epoch import epoch_dump_dir


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("results")
    assert main(["import", "epoch", "--from", str(epoch_dump_dir()), "--results-dir", str(d)]) == 0
    return d


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, list[str]]:
    capsys.readouterr()
    code = main(list(args))
    out = capsys.readouterr()
    return code, out.out, [ln for ln in out.err.splitlines() if ln.strip()]


# fewer replicates and simulations than the primary's: the CLI and the API must agree, fast
QUICK = ("--replicates", "500", "--curve-replicates", "50", "--power-simulations", "50")


def test_json_lag_row_agrees_with_the_python_api(results: Path, capsys) -> None:
    code, out, _ = run(
        capsys,
        "analyze",
        "--results-dir",
        str(results),
        "--since",
        "2025-01-01",
        "--censoring",
        "none",
        *QUICK,
        "--format",
        "json",
    )
    assert code == exitcodes.OK
    cli = json.loads(out)
    assert cli["spec"]["since"] == "2025-01-01" and cli["spec"]["censoring"] == "none"
    assert cli["is_primary_spec"] is False and cli["verdict"] in ("inconclusive", "supported")
    spec = spec_from_options(
        since="2025-01-01",
        censoring="none",
        replicates=500,
        curve_replicates=50,
        power_simulations=50,
    )
    ans = api.answer(api.workspace(results_dir=results), spec)
    ref = json.loads(ans.to_json())
    (row,) = [r for r in cli["understatement"] if r["measure"] == "lag_months"]
    (ref_row,) = [r for r in ref["understatement"] if r["measure"] == "lag_months"]
    assert row == ref_row
    # issue 9's "censoring off" variant: agentic 5.9, standard 5.4, D = +0.5 months before
    # provider copies and reasoning-budget variants were grouped into one model each (22.8);
    # 5.3 once grouped, 5.4 again once a day's models are one frontier step (same-day
    # models had been counted as separate pairs)
    assert (round(row["agentic"], 1), round(row["standard"], 1)) == (5.9, 5.4)
    assert round(row["d"], 1) == 0.6 and row["ci_low"] < 0 < row["ci_high"]
    assert cli["sensitivity_summary"] == ref["sensitivity_summary"]
    assert cli["power"] == ref["power"] and cli["settle"] == ref["settle"]
    # the ECI cross-check comes from the same (shipped) dump, the published rows are cited
    checks = {r["check"]: r for r in cli["crosschecks"]}
    epoch = checks["ECI lag (Epoch's method, same dump: reached levels only)"]
    bounds = checks["ECI lag, unreached levels kept as bounds (censored normal fit)"]
    assert epoch["origin"] == bounds["origin"] == "gapbench"
    assert epoch["n_bounds"] == 0 and bounds["n_bounds"] > 0 and bounds["n"] > epoch["n"]
    assert {r["origin"] for r in cli["crosschecks"]} == {"gapbench", "published"}


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--benchmarks", "gpqa_diamond,not_a_benchmark"], "--benchmarks: unknown benchmark"),
        (["--since", "2025-13-01"], "--since: not a date '2025-13-01'"),
        (["--until", "yesterday"], "--until: not a date"),
        (["--since", "2026-01-01", "--until", "2025-01-01"], "--since 2026-01-01 is after"),
        (["--mapping", "KINDS"], "--mapping: "),
        (["--mapping", "does/not/exist.yaml"], "--mapping: file not found"),
        (["--censoring", "sometimes"], "--censoring"),
        (["--ci", "1.5"], "--ci: "),
        (["--replicates", "ten"], "--replicates: not a number"),
        (["--substitute", "no-such-model"], "--substitute: no closed model"),
        (["--power-simulations", "10"], "--power-simulations: "),
        (["--next-sweep", "x.yaml", "--next", "0"], "--next: must be at least 1"),
    ],
)
def test_bad_option_is_one_line_naming_it(
    results: Path, tmp_path: Path, capsys, args: list[str], needle: str
) -> None:
    if "KINDS" in args:
        f = tmp_path / "kinds.yaml"
        f.write_text("gpqa_diamond: tool-use\n")
        args = [str(f) if a == "KINDS" else a for a in args]
    code, _, err = run(capsys, "analyze", "--results-dir", str(results), *args)
    assert code == exitcodes.USAGE
    assert len(err) == 1 and needle in err[0], err
    assert "Traceback" not in err[0]
    if needle == "--mapping: ":
        assert "gpqa_diamond: unknown kind 'tool-use'" in err[0]


def test_next_sweep_writes_a_runnable_sweep_and_names_what_is_missing(
    results: Path, tmp_path: Path, capsys
) -> None:
    target = tmp_path / "next.yaml"
    code, out, err = run(
        capsys,
        "analyze",
        "--results-dir",
        str(results),
        *QUICK,
        "--next-sweep",
        str(target),
        "--next",
        "12",
    )
    assert code == exitcodes.OK, err
    text = target.read_text()
    assert text.startswith("# What to evaluate next") and f"wrote {target}" in out
    nxt = api.next_sweep(
        api.workspace(results_dir=results),
        spec_from_options(replicates=500, curve_replicates=50, power_simulations=50),
        top=12,
    )
    assert nxt.yaml() == text  # the CLI writes what the API returns
    assert len(nxt.pairs) == 12 and list(nxt.pairs["rank"]) == list(range(1, 13))
    gains = nxt.pairs["width_gain"].to_numpy()
    assert (gains > 0).all() and list(gains) == sorted(gains, reverse=True)
    # models the registry lacks are named as the commands that add them
    missing = nxt.pairs.loc[nxt.pairs["registry_model"] == "", "model_id"]
    assert len(nxt.cards_to_add) == missing.nunique()
    assert all(c.startswith("gapbench models add ") for c in nxt.cards_to_add)
    for line in nxt.cards_to_add:
        assert f"add first: {line}" in out
    if nxt.sweep is not None:  # a runnable pair: the file is a sweep gapbench loads
        from harness.sweep.spec import load_sweep

        assert load_sweep(target).models == nxt.sweep.models
