"""A kind mapping other than the stored one, applied at analysis time (no re-import).

A mapping file (YAML) says, per benchmark (suite name), which kind it is: `standard`,
`agentic`, or `exclude` (left out of the analysis), and optionally `borderline: true`.
Three shapes are accepted, so the shipped Epoch mapping can be copied and edited:

    gdpval: agentic                               # name: kind
    aider_polyglot: {kind: standard, borderline: true}
    benchmarks:                                   # the importer's list form
      - {suite: weirdml, kind: standard, borderline: true}

Benchmarks the file does not name keep their stored kind. Borderline marks from the import
(extra.borderline_kind) stay unless the file says otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import pandas as pd
from pydantic import BaseModel, ConfigDict, ValidationError

from harness._loading import read_yaml
from harness.analysis._common import extra_field
from harness.errors import ConfigError, UserError

MappedKind = Literal["standard", "agentic", "exclude"]
KINDS = ("standard", "agentic", "exclude")


class MappingEntry(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    kind: MappedKind
    borderline: bool | None = None


@dataclass(frozen=True)
class KindMapping:
    path: str
    entries: dict[str, MappingEntry]


def load_kind_mapping(path: str | Path) -> KindMapping:
    """Read a mapping file; one line naming `--mapping`, the file and the entry on any problem."""
    p = Path(path)
    try:
        data = read_yaml(p)
    except ConfigError as exc:
        raise UserError(f"--mapping: {exc}") from None
    items: list[tuple[str, object]] = []
    if isinstance(data, dict) and isinstance(data.get("benchmarks"), list):
        for i, item in enumerate(data["benchmarks"]):
            if not isinstance(item, dict) or "suite" not in item:
                raise UserError(f"--mapping: {p}: benchmarks[{i}]: needs a 'suite' and a 'kind'")
            if item.get("include") is False:
                continue
            items.append((str(item["suite"]), item))
    elif isinstance(data, dict):
        items = [(str(k), v) for k, v in data.items()]
    else:
        raise UserError(f"--mapping: {p}: expected a mapping of benchmark names to kinds")
    entries: dict[str, MappingEntry] = {}
    for name, value in items:
        raw = {"kind": value} if isinstance(value, str) else value
        if not isinstance(raw, dict):
            raise UserError(f"--mapping: {p}: {name}: expected a kind or {{kind: ...}}")
        kind = raw.get("kind")
        if kind not in KINDS:
            raise UserError(
                f"--mapping: {p}: {name}: unknown kind {kind!r} (use {', '.join(KINDS)})"
            )
        try:
            entries[name] = MappingEntry.model_validate(raw)
        except ValidationError as exc:
            err = exc.errors()[0]
            field = ".".join(str(x) for x in err["loc"])
            raise UserError(f"--mapping: {p}: {name}.{field}: {err['msg']}") from None
    return KindMapping(str(p), entries)


def borderline_of(samples: pd.DataFrame) -> pd.Series:
    """Per row: the import marked its benchmark's kind as borderline."""
    if samples.empty or "extra" not in samples:
        return pd.Series(False, index=samples.index, dtype=bool)
    extras = samples["extra"].dropna()
    extras = extras[extras.str.contains("borderline_kind", regex=False)]  # parse only these
    marks = {e: extra_field(e, "borderline_kind") == "true" for e in extras.unique()}
    return samples["extra"].map(lambda e: marks.get(e, False)).fillna(False).astype(bool)


def apply_mapping(samples: pd.DataFrame, mapping: KindMapping | None) -> pd.DataFrame:
    """Samples with a `borderline` column and kinds replaced per the mapping (excluded dropped)."""
    out = samples.copy()
    out["borderline"] = borderline_of(out)
    if mapping is None or out.empty:
        return out
    suites = out["suite"].astype(str)
    for name, entry in mapping.entries.items():
        rows = suites == name
        if not rows.any():
            continue
        out.loc[rows, "kind"] = entry.kind
        if entry.borderline is not None:
            out.loc[rows, "borderline"] = entry.borderline
    return out[out["kind"] != "exclude"]
