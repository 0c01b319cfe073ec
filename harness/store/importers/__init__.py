"""Bring results made elsewhere into the store, marked source="imported:<name>".

    import_epoch(path | None, store) -> ImportSummary           Epoch AI Benchmarking Hub dump
    import_lm_eval(path, store, access=..., ...) -> ImportSummary lm-eval results + samples
    import_inspect(path, store, access=..., ...) -> ImportSummary inspect-ai .eval logs

Importers read their inputs as CSV/JSON/zip files; they never import the engines. A
malformed input raises ConfigError naming the file (nothing is stored from that call).
Re-importing the same input writes nothing new. See docs/importers.md.
"""

from harness.store.importers._common import AGGREGATE_ID, ImportSummary
from harness.store.importers.epoch import import_epoch
from harness.store.importers.inspect_log import import_inspect
from harness.store.importers.lm_eval import import_lm_eval

__all__ = ["AGGREGATE_ID", "ImportSummary", "import_epoch", "import_inspect", "import_lm_eval"]
