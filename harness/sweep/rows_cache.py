"""The rows cache: finished samples kept beside the call cache, copied instead of run again.

The call cache (serve/proxy) replays model answers, but the engines still redo their work
around them: a sweep run on a fresh results folder with every answer cached took 0.9-1.0x
its first run (issue 14, P2). This store (a results store like any other, under
`settings.cache_dir / "rows"`) keeps each own run's finished rows and their transcripts; a
sample still missing from a results folder whose run key the cache holds is copied from
it instead of running.

What may be served, and when:
- only rows of the same run_id (the hash of model card, deployment, suite and version,
  engine version, user simulator: plan.run_key), matched by sample_key (run, sample,
  epoch): never across run keys;
- only finished rows (scored or limit), never errors, never canary rows; canary runs are
  neither served nor kept (a drift check must ask the model);
- only keys the results folder does not hold at all: an error stored there stays until
  `--retry-errors` runs it again (through the engine, as before);
- copied rows get the sweep's name, attempt 1 and a fresh write time; everything else
  (scores, statuses, tokens, costs, timings, deployment facts) is the stored row's.
`gapbench run --no-cache` (`use_cache=False`) reads neither this cache nor the call cache;
new rows are kept either way.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

import pyarrow as pa

from harness.store import Store
from harness.store.writes import set_column
from harness.sweep.plan import PlannedRun, todo_keys

FOLDER = "rows"
_SERVABLE = "status <> 'error' AND NOT coalesce(canary, false)"
# merge the cache's small files (one per suite and command) once a folder holds this many
_COMPACT_AT = 8


def rows_root(cache_dir: Path) -> Path:
    return cache_dir / FOLDER


class RowsCache:
    """Finished own rows by run key (see the module doc)."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.store = Store(self.root)

    def _empty(self, suites: Iterable[str]) -> bool:
        return not any(self.store.files("samples", s) for s in set(suites))

    def available(self, runs: Sequence[PlannedRun], keys: dict[str, list[str]]) -> dict[str, int]:
        """run_id -> how many of `keys[run_id]` the cache can serve (canary runs: none)."""
        wanted = [r for r in runs if keys.get(r.run_id) and not r.canary]
        if not wanted or self._empty(r.suite.name for r in wanted):
            return {}
        tbl = self.store.query(
            "SELECT run_id, count(DISTINCT sample_key) AS n FROM samples_all "
            "WHERE run_id IN (SELECT unnest(?)) AND sample_key IN (SELECT unnest(?)) "
            f"AND {_SERVABLE} GROUP BY run_id",
            [[r.run_id for r in wanted], [k for r in wanted for k in keys[r.run_id]]],
            suites=tuple(sorted({r.suite.name for r in wanted})),
            dedup=False,
        )
        return dict(zip(tbl.column("run_id").to_pylist(), tbl.column("n").to_pylist(), strict=True))

    def serve(self, run: PlannedRun, sweep_id: str, results: Store) -> tuple[int, pa.Table]:
        """Copy the cached rows (and transcripts) of the run's todo keys that `results` does
        not hold at all; returns how many rows were written there, and those rows."""
        none = (0, pa.table({}))
        if run.canary or not run.todo or self._empty([run.suite.name]):
            return none
        keys = todo_keys(run)
        if run.n_retry:  # stored errors are retried by the engine, not replaced from here
            stored = results.sample_status([run.run_id])
            keys = [k for k in keys if k not in stored]
        suites = (run.suite.name,)
        rows = self.store.query(
            "SELECT * FROM samples WHERE run_id = ? AND sample_key IN (SELECT unnest(?)) "
            f"AND {_SERVABLE}",
            [run.run_id, keys],
            suites=suites,
        )
        if rows.num_rows == 0:
            return none
        rows = set_column(rows, "sweep_id", pa.array([sweep_id] * rows.num_rows, pa.string()))
        transcripts = self.store.query(
            "SELECT * FROM transcripts WHERE sample_key IN (SELECT unnest(?))",
            [rows.column("sample_key").to_pylist()],
            suites=suites,
        )
        # replace="none": a key the results folder holds meanwhile is not touched
        n = results.append_table(rows, replace="none", transcripts=transcripts)
        return n, rows

    def keep(self, results: Store, runs: Sequence[PlannedRun]) -> int:
        """Copy the finished, non-canary rows of these runs from `results` into the cache
        (keys it holds already are skipped); returns how many rows were added."""
        run_ids = sorted({r.run_id for r in runs if not r.canary})
        if not run_ids:
            return 0
        suites = tuple(sorted({r.suite.name for r in runs if not r.canary}))
        rows = results.query(
            f"SELECT * FROM samples WHERE run_id IN (SELECT unnest(?)) AND {_SERVABLE}",
            [run_ids],
            suites=suites,
        )
        if rows.num_rows == 0:
            return 0
        transcripts = results.query(
            "SELECT * FROM transcripts WHERE run_id IN (SELECT unnest(?))", [run_ids], suites=suites
        )
        added = self.store.append_table(rows, replace="none", transcripts=transcripts)
        if added and any(
            len(list(p.iterdir())) >= _COMPACT_AT
            for p in self.store.samples_dir.glob("*/*")
            if p.is_dir()
        ):
            self.store.compact()
        return added
