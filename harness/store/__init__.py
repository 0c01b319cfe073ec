"""The Parquet results store: samples and runs tables under results/.

Python API:
    store = Store(results_dir)
    store.append_samples(records)      # atomic; rows whose sample_key is already stored are dropped
    store.append_run(run_record)
    store.done_keys(run_id) -> set[str]
    store.samples(**filters) -> pandas.DataFrame   (DuckDB over the dataset)
    store.runs() -> pandas.DataFrame                (latest attempt per run_id)
"""

from harness.store.schema import RUNS_SCHEMA, SAMPLES_SCHEMA, SCHEMA_VERSION
from harness.store.store import Store

__all__ = ["RUNS_SCHEMA", "SAMPLES_SCHEMA", "SCHEMA_VERSION", "Store"]
