"""Model identity: which imported rows are the same model.

Published data name one model several ways. gapbench groups them before anything is scored,
so that a frontier, a lag's model pair, a coverage count and the substitute finder see one
model, not copies of it:

- provider-hosted copies of one open model are one model: `chutes/Qwen3-235B-A22B-Thinking-2507`,
  `Qwen/Qwen3-235B-A22B-Thinking-2507` and `Qwen3-235B-A22B-Thinking-2507` (a host or
  organisation prefix before "/", a host prefix such as "parasail-", case, and fireworks'
  "v3p2" for "v3.2" are not part of a model's name);
- reasoning-budget and effort variants are grouped under their base model
  (`claude-3-7-sonnet-20250219_1K` ... `_64K`, `o3-2025-04-16_high`, `DeepSeek-V3.1_thinking`),
  each row keeping its variant in `variant`, so a table can show which one a score came from.

A group's release date is its earliest (a provider's copy is released later than the model);
its score on a benchmark is the best of its rows (a frontier is a best score). Only imported
rows are grouped: an own run's model id is a registry card, which already is one model.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pandas as pd

# what follows the last "_" in a variant's id: a reasoning budget (1K ... 128K tokens) or an
# effort or mode setting. An explicit list: "_6" in "MiniCPM-V-2_6" is part of a name
VARIANT = re.compile(
    r"^(?P<base>.+?)_(?P<variant>\d+[kK]|minimal|low|medium|high|xhigh|max|none|thinking|unknown)$"
)
HOST_PREFIXES = ("parasail-",)  # hosts that prefix a model's name with a dash, not a slash
_FIREWORKS_DOT = re.compile(r"(?<=\d)p(?=\d)")  # fireworks/deepseek-v3p2 = deepseek-v3.2


@dataclass(frozen=True)
class Name:
    """One model id taken apart: the base model (display form and grouping key) and the
    variant suffix ("" when none)."""

    model_id: str
    base: str
    key: str
    variant: str
    hosted: bool  # the id carried a host or organisation prefix


def parse(model_id: str) -> Name:
    raw = str(model_id)
    hosted = "/" in raw
    name = raw.rsplit("/", 1)[-1]
    host = raw.split("/", 1)[0].lower() if hosted else ""
    for prefix in HOST_PREFIXES:
        if name.lower().startswith(prefix):
            name, hosted = name[len(prefix) :], True
    m = VARIANT.match(name)
    base, variant = (m.group("base"), m.group("variant")) if m else (name, "")
    key = base.lower()
    if host == "fireworks":
        key = _FIREWORKS_DOT.sub(".", key)
    return Name(raw, base, key, variant, hosted)


def groups(model_ids: list[str]) -> dict[str, str]:
    """model id -> the id of its group: the base name as the publisher wrote it unhosted
    (when some id of the group has no host prefix), else as the first id has it."""
    names = [parse(m) for m in dict.fromkeys(model_ids)]
    by_key: dict[str, list[Name]] = {}
    for n in names:
        by_key.setdefault(n.key, []).append(n)
    out: dict[str, str] = {}
    for members in by_key.values():
        plain = [n for n in members if not n.hosted]
        display = (plain or members)[0].base
        if plain and any(n.variant == "" for n in plain):
            display = next(n.base for n in plain if n.variant == "")
        for n in members:
            out[n.model_id] = display
    return out


def grouped(samples: pd.DataFrame) -> pd.DataFrame:
    """Samples with imported models grouped: `model_id` is the group, `variant` the id the
    row was published under, and `release_date` the group's earliest. Own rows keep their
    id (variant = model id). An open and a closed model are never one model."""
    if samples.empty or "model_id" not in samples:
        return samples
    out = samples.assign(variant=samples["model_id"])
    if "source" not in out:
        return out
    src = out["source"].astype(str)
    imported = src.str.startswith("imported:").to_numpy()
    if not imported.any():
        return out
    part = out.loc[imported, ["model_id", "access", "release_date"]].astype(
        {"model_id": str, "access": str}
    )
    group = part["model_id"].copy()
    for _acc, rows in part.groupby("access", sort=True).groups.items():
        ids = part.loc[rows, "model_id"]
        group.loc[rows] = ids.map(groups(sorted(set(ids))))
    dates = pd.to_datetime(part["release_date"], errors="coerce")
    earliest = dates.groupby([part["access"], group]).transform("min")
    ids_all = out["model_id"].astype(object)
    ids_all.loc[imported] = group.to_numpy()
    out["model_id"] = ids_all
    if "release_date" in out:
        rel = out["release_date"].astype(object)
        rel.loc[imported] = [d.date() if pd.notna(d) else None for d in earliest]
        out["release_date"] = rel
    return out


def variants_of(model_id: str, variants: list[str]) -> str:
    """'1K, 8K, 64K' for a group's variants (budgets by size), '' when it was published
    under one id only."""
    names = {v for v in variants if v and v != model_id}
    suffixes = {parse(v).variant or v for v in names}
    return ", ".join(sorted(suffixes, key=_budget_order))


def _budget_order(suffix: str) -> tuple[int, float, str]:
    """Token budgets by size (1K, 8K, 64K), then the named settings alphabetically."""
    m = re.fullmatch(r"(\d+)[kK]", suffix)
    return (0, float(m.group(1)), "") if m else (1, 0.0, suffix)
