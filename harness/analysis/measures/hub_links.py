"""What links gapbench's own runs to published results: which suite measures which published
(Epoch AI hub) benchmark and how its protocol differs, and the names under which a registry
model is published. The API builds it from the suite registry (`hub_benchmark:` and
`protocol:` in suite.yaml) and the model registry (a card's `published_names`); the analysis
only reads it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

Items = Literal["same", "subset", "different"]
# the item sets whose own scores are comparable with the published ones by default: the
# benchmark's own items, or part of them (another item set is another benchmark)
COMPARABLE_ITEMS: tuple[Items, ...] = ("same", "subset")


@dataclass(frozen=True)
class HubSuite:
    """A suite that measures a published benchmark, and how its protocol differs."""

    suite: str
    benchmark: str
    items: Items
    prompt: str = ""
    attempts: str = ""
    scorer: str = ""

    @property
    def comparable(self) -> bool:
        return self.items in COMPARABLE_ITEMS


@dataclass(frozen=True)
class HubLinks:
    """suites: suite name -> HubSuite. published_names: registry model id -> the names it is
    published under (Epoch's "Model version" strings, one per reasoning-effort variant; the
    one matching how gapbench runs it first)."""

    suites: Mapping[str, HubSuite] = field(default_factory=dict)
    published_names: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    def names_of(self, model_id: str) -> tuple[str, ...]:
        return tuple(self.published_names.get(model_id, ()))


NO_LINKS = HubLinks()


def version_key(v: object) -> tuple[int, float, str]:
    """Suite versions in order: numbers as numbers ("10" after "9"), then text
    ("epoch-hub-2026-05" after "epoch-hub-2026-04")."""
    text = str(v)
    try:
        return (1, float(text), "")
    except ValueError:
        return (0, 0.0, text)
