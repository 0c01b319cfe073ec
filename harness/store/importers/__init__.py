"""Bring results made elsewhere into the store, marked source="imported:<name>".

    import_epoch(path | None, store) -> ImportSummary     Epoch AI Benchmarking Hub dump
    import_lm_eval(path, store, model_id=..., access=...)  lm-eval results + samples files
    import_inspect(path, store, model_id=..., access=...)  inspect-ai .eval logs

Importers read their inputs as JSON/CSV/zip files; they never import the engines.
See docs/importers.md.
"""

from harness.store.importers._common import AGGREGATE_ID, ImportSummary
from harness.store.importers.epoch import import_epoch

__all__ = ["AGGREGATE_ID", "ImportSummary", "import_epoch"]
