"""A real sweep (both engines, real SDKs over real HTTP against the fake API, with faults and
a model that slips) and what the store makes of it: its raw logs imported back give the same
rows; raw readers (pandas, pyarrow.dataset, DuckDB, polars) read the store directly; retried
errors win; a second sweep over the stored samples reports them in full; own runs keep their
transcripts."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import duckdb
import pandas as pd
import polars as pl
import pyarrow as pa
import pyarrow.dataset as ds
import pytest

from harness import api
from harness.config import load_settings
from harness.store import Store
from harness.store.query import summary
from tests.fakeapi import FakeAPI, chain_policy
from tests.fakeapi.registry import registry_yaml
from tests.fixtures.fakeapi import FAKE_API_KEY

SWEEP = (
    "name: rt\nmodels: [fake-gpt]\nsuites: [ladder_standard, ladder_agentic]\nlimit: 6\nepochs: 2\n"
)
COMPARED = ["status", "score", "success", "error", "h"]


@dataclass(frozen=True)
class Swept:
    root: Path
    ws: api.Workspace
    first: pd.DataFrame  # Store.samples() right after the first sweep (with errors)
    sweep: Path
    fake: FakeAPI


def _workspace(root: Path, fake: FakeAPI, results: str = "results") -> api.Workspace:
    registry = root / "models.yaml"
    if not registry.exists():
        registry.write_text(registry_yaml(fake, timeout_s=5.0, max_retries=0))
    settings = replace(
        load_settings(root),
        registry_path=registry,
        results_dir=root / results,
        reports_dir=root / "reports",
        cache_dir=root / "cache",
    )
    return api.workspace(settings)


@pytest.fixture(scope="module")
def swept(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Swept]:
    root = tmp_path_factory.mktemp("roundtrip")
    with pytest.MonkeyPatch.context() as mp, FakeAPI(api_key=FAKE_API_KEY) as fake:
        mp.setenv("OPENAI_API_KEY", FAKE_API_KEY)
        mp.setenv("ANTHROPIC_API_KEY", FAKE_API_KEY)
        fake.set_policy(chain_policy(skill=0.8, seed=1))  # some wrong answers
        fake.set_faults(0.2, kinds=("500",), seed=2)  # some errored samples
        ws = _workspace(root, fake)
        sweep = root / "sweep.yaml"
        sweep.write_text(SWEEP)
        api.run_sweep(sweep, ws=ws)
        first = Store(ws.settings.results_dir).samples()
        yield Swept(root, ws, first, sweep, fake)


def _key(df: pd.DataFrame, suite: str) -> pd.DataFrame:
    rows = df[df.suite == suite].set_index(["sample_id", "epoch"]).sort_index()
    return rows[COMPARED].astype(object).where(rows[COMPARED].notna(), None)


def test_lm_eval_raw_output_is_lm_evals_own(swept: Swept) -> None:
    from lm_eval.utils import get_results_filenames, get_sample_results_filenames

    raw = swept.ws.settings.raw_dir / "rt" / "ladder_standard"
    files = [str(p) for p in raw.rglob("*") if p.is_file()]
    results, samples = get_results_filenames(files), get_sample_results_filenames(files)
    assert results and samples  # lm-eval's own helpers find its files
    data = json.loads(Path(results[0]).read_text())
    assert "score,none" in data["results"]["ladder_standard"]
    assert data["versions"]["ladder_standard"] and data["n-samples"]["ladder_standard"]
    assert data["gapbench"]["suite"] == "ladder_standard" and data["model_name"] == "fake-gpt"
    entry = json.loads(Path(samples[0]).read_text().splitlines()[0])
    for field in ("doc_id", "doc", "target", "arguments", "resps", "filtered_resps", "filter"):
        assert field in entry
    assert set(entry["gapbench"]) >= {"sample_id", "epoch", "status"}


@pytest.mark.parametrize(
    ("source", "suite", "extra"),
    [
        ("lm-eval", "ladder_standard", {}),
        ("inspect", "ladder_agentic", {"suite": "ladder_agentic"}),
    ],
)
def test_own_raw_logs_import_back_to_the_same_rows(
    swept: Swept, tmp_path: Path, source: str, suite: str, extra: dict[str, str]
) -> None:
    own = swept.first
    assert (own.status == "error").any() and (own.score == 0).any()  # the test has teeth
    target = api.workspace(replace(swept.ws.settings, results_dir=tmp_path / "imported"))
    raw = swept.ws.settings.raw_dir / "rt" / suite
    summary_ = api.import_results(source, raw, ws=target, model_id="fake-gpt", **extra)
    imported = Store(target.settings.results_dir, on_bad="raise").samples()
    assert summary_.rows_written == len(imported) == len(own[own.suite == suite])
    pd.testing.assert_frame_equal(_key(own, suite), _key(imported, suite))
    # the model card's facts, not a guess
    assert set(imported.access) == set(own.access) and set(imported.release_date) == set(
        own.release_date
    )


def test_retried_errors_win_and_raw_readers_agree(swept: Swept) -> None:
    ws = swept.ws
    store_dir = ws.settings.results_dir
    swept.fake.set_faults(0.0)  # the outage is over
    out = api.run_sweep(swept.sweep, ws=ws, retry_errors=True)
    store = Store(store_dir, on_bad="raise")
    latest = store.samples()
    errored_before = int((swept.first.status == "error").sum())
    assert errored_before and out.exit_code == 0
    assert len(latest) == len(swept.first) and (latest.status != "error").all()
    assert len(store.query("SELECT * FROM samples_all")) == len(swept.first) + errored_before
    assert set(
        latest[
            latest.sample_key.isin(swept.first[swept.first.status == "error"].sample_key)
        ].attempt
    ) == {2}
    # an import beside the sweep's rows, then every reader on the folders as they are
    api.import_results(
        "lm-eval", ws.settings.raw_dir / "rt" / "ladder_standard", ws=ws, model_id="fake-gpt"
    )
    expected = len(Store(store_dir).samples())
    assert expected > len(latest)
    samples_dir, runs_dir = store_dir / "samples", store_dir / "runs"

    raw = pd.read_parquet(samples_dir)
    assert not isinstance(raw.suite.dtype, pd.CategoricalDtype)
    assert (
        len(raw.sort_values(["attempt", "written_at"]).drop_duplicates("sample_key", keep="last"))
        == expected
    )
    table = ds.dataset(samples_dir, format="parquet").to_table()
    assert table.schema.field("suite").type == pa.string()
    assert table.schema.field("written_at").type == pa.timestamp("us", tz="UTC")
    assert len(set(table.column("sample_key").to_pylist())) == expected
    glob = f"{samples_dir}/**/*.parquet"
    [(n,)] = duckdb.sql(
        f"SELECT count(*) FROM (SELECT * FROM read_parquet('{glob}') QUALIFY row_number() "
        "OVER (PARTITION BY sample_key ORDER BY attempt DESC, written_at DESC) = 1)"
    ).fetchall()
    assert n == expected
    frame = pl.read_parquet(glob).sort(["attempt", "written_at"]).unique("sample_key", keep="last")
    assert frame.height == expected and frame.schema["canary"] == pl.Boolean
    # newest wins in raw reads too: the retried keys are scored
    assert (frame.filter(pl.col("source") == "own")["status"] != "error").all()
    runs = pd.read_parquet(runs_dir)
    assert runs.run_id.is_unique and len(runs) == len(store.runs()) == 2
    assert pl.read_parquet(f"{runs_dir}/*.parquet").height == 2


def test_a_second_sweep_over_stored_samples_reports_them_in_full(swept: Swept) -> None:
    ws = swept.ws
    other = swept.root / "again.yaml"
    other.write_text(SWEEP.replace("name: rt", "name: rt-again"))
    plan = api.plan(other, ws=ws)
    assert plan.n_todo == 0  # nothing to run: every sample is stored
    api.run_sweep(other, ws=ws)
    store = Store(ws.settings.results_dir)
    mine = store.samples(sweep_id="rt-again")
    assert len(mine) == len(swept.first) and set(mine.sweep_id) == {"rt"}
    table = summary(store)
    again = table[table.sweep_id == "rt-again"]
    assert int(again.rows.sum()) == len(swept.first)


def test_own_runs_keep_transcripts(swept: Swept) -> None:
    store = Store(swept.ws.settings.results_dir)
    own = swept.first
    standard = own[(own.suite == "ladder_standard") & (own.status == "scored")].iloc[0]
    agentic = own[(own.suite == "ladder_agentic") & (own.status == "scored")].iloc[0]
    got = store.transcripts([standard.sample_key, agentic.sample_key])
    t = got[standard.sample_key]
    assert (
        t.prompt and t.output and t.target and [m.role for m in t.messages] == ["user", "assistant"]
    )
    a = got[agentic.sample_key]
    calls = [c for m in a.messages for c in m.tool_calls]
    tools = [m for m in a.messages if m.role == "tool"]
    assert calls and tools and tools[0].tool_call_id == calls[0].id
    assert json.loads(calls[0].arguments)
    assert a.explanation is not None or a.output is not None


def test_a_corrupt_file_blocks_nothing_and_warns_once(
    swept: Swept, capfd: pytest.CaptureFixture[str]
) -> None:
    """Last in this module: it leaves a corrupt file in the store."""
    ws = swept.ws
    store_dir = ws.settings.results_dir
    folder = Store(store_dir).files("samples", "ladder_standard")[0].parent
    bad = folder / "part-00000000000000000007-corrupt.parquet"
    bad.write_bytes(b"PAR1" + b"\x00" * 64)
    capfd.readouterr()
    # a sweep on the same suite with more samples, and one on an unrelated suite
    more = swept.root / "more.yaml"
    more.write_text(SWEEP.replace("name: rt", "name: more").replace("limit: 6", "limit: 8"))
    out = api.run_sweep(more, ws=ws)
    assert (
        out.exit_code == 0 and sum(r.n_written for r in out.runs) == 8
    )  # 2 new ids x 2 epochs x 2 suites
    assert main_results(store_dir) == 0
    err = capfd.readouterr().err
    assert err.count(str(bad)) == 1 and all(
        line.startswith("warning: skipped") for line in err.splitlines() if str(bad) in line
    )
    problems = Store(store_dir).check()
    assert len(problems) == 1 and str(bad) in problems[0] and bad.exists()


def main_results(store_dir: Path) -> int:
    from harness.cli import main

    return main(["results", "--results-dir", str(store_dir)])
