"""The Parquet results store: samples and runs tables under results/.

Python API:
    store = Store(results_dir, on_bad="raise" | "skip")
    store.append_samples(records) -> int    # atomic; sample_keys already stored are dropped
    store.append_table(arrow_table) -> int  # bulk form of append_samples
    store.append_run(run_record)
    store.done_keys(run_id) -> set[str]     # the resume set
    store.samples(suite=, model_id=, kind=, source=, sweep_id=) -> pandas.DataFrame
    store.runs() -> pandas.DataFrame        # latest attempt per run_id
    store.query(sql, params) -> pyarrow.Table   # SQL over views samples / runs (DuckDB)
    store.compact() -> CompactSummary       # merge small files per partition, atomically
    store.warnings                          # files skipped in on_bad="skip" mode
query.summary(store), query.export(store, path, "csv" | "parquet");
importers.import_epoch / import_lm_eval / import_inspect. Layout and columns: docs/schema.md.
"""

from harness.store.compaction import CompactSummary
from harness.store.schema import RUNS_SCHEMA, SAMPLES_SCHEMA, SCHEMA_VERSION
from harness.store.store import Store

__all__ = ["RUNS_SCHEMA", "SAMPLES_SCHEMA", "SCHEMA_VERSION", "CompactSummary", "Store"]
