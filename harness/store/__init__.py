"""The Parquet results store: samples, runs, run_history, membership and transcripts tables
under results/ (layout and columns: docs/schema.md).

Python API:
    store = Store(results_dir, on_bad="skip" | "raise")
    store.append_samples(records, replace="errors") -> int  # + transcripts; one atomic batch
    store.append_table(arrow_table, replace=..., transcripts=None) -> int  # bulk form
    store.append_run(run_record)            # run_history row + the run's current row
    store.add_sweep_members(sweep_id, sample_keys)  # alias add_membership
    store.samples(suite=, model_id=, kind=, source=, sweep_id=) -> pandas.DataFrame
    store.runs() / store.run_history() -> pandas.DataFrame
    store.transcripts(sample_keys) -> dict[sample_key, Transcript]
    store.sample_status(run_ids) -> dict[sample_key, status]   # newest attempt
    store.done_keys(run_id) -> set[str]     # the resume set
    store.query(sql, params) -> pyarrow.Table   # SQL over the views (DuckDB; views.py)
    store.compact() / store.migrate() / store.check()
    store.warnings                          # files left out by reads (one line each)
query.summary(store), query.export(store, path);
importers.import_epoch / import_lm_eval (inspect logs: harness.runners.inspect_records).
"""

from harness.store.compaction import CompactSummary
from harness.store.schema import RUNS_SCHEMA, SAMPLES_SCHEMA, SCHEMA_VERSION
from harness.store.store import Store

__all__ = ["RUNS_SCHEMA", "SAMPLES_SCHEMA", "SCHEMA_VERSION", "CompactSummary", "Store"]
