"""Bring results made elsewhere into the store, marked source="imported:<name>".

    import_epoch(path | url | None, store, replace=False) -> ImportSummary   Epoch AI hub (snapshots:
                                                                        epoch_snapshots)
    import_lm_eval(path, store, access=..., ...) -> ImportSummary       lm-eval results + samples
    collect_lm_eval(path, facts_of, ...) -> Collector                   read only (the API layer
                                                                        checks facts, then stores)
inspect-ai .eval logs are read with inspect's own reader: harness.runners.inspect_records
(`collect_inspect`), reached through harness.api.import_results.

Importers read their inputs as files; they never import the engines. A malformed input raises
ConfigError naming the file (nothing is stored from that call). Re-importing the same input
writes nothing new; with replace=True it writes every row's next attempt (corrected facts).
See docs/importers.md.
"""

from harness.store.importers._common import (
    AGGREGATE_ID,
    Collector,
    FactsOf,
    ImportSummary,
    ModelFacts,
    given_facts,
    release_date_of,
)
from harness.store.importers.epoch import import_epoch
from harness.store.importers.lm_eval import collect_lm_eval, import_lm_eval

__all__ = [
    "AGGREGATE_ID",
    "Collector",
    "FactsOf",
    "ImportSummary",
    "ModelFacts",
    "collect_lm_eval",
    "given_facts",
    "import_epoch",
    "import_lm_eval",
    "release_date_of",
]
