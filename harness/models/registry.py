"""models.yaml: the registry of model cards and their deployments.

A personal registry EXTENDS the shipped one. `GAPBENCH_REGISTRY=F` (or `workspace(registry=F)`)
is a search path of two files: F first, then this repository's models.yaml. An id defined in
both (a card or a deployment) is F's: the first file that defines an id wins, as on a PATH,
so a personal file can re-price or re-point a shipped deployment without renaming it, and
`gapbench models` says which file each card came from. `include_shipped: false` at the top of
F makes F the whole registry.

A model is named by its card id, one of its deployment ids, or an alias declared on its card
(`aliases: [smollm2]`). An alias that two cards declare is ambiguous and refused with the
candidates; an unknown name is refused with the closest known names.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict

from harness._loading import load_model, parse_model
from harness.config import REPO_ROOT
from harness.errors import ConfigError, UserError
from harness.models.cards import ModelCard
from harness.models.deployments import Deployment

# The registry this repository ships; personal registries are read on top of it.
SHIPPED_REGISTRY = REPO_ROOT / "models.yaml"


class _RegistryFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    models: list[dict[str, Any]] = []
    deployments: list[dict[str, Any]] = []
    # A personal registry adds to the shipped models.yaml unless this is false.
    include_shipped: bool = True


@dataclass(frozen=True)
class Registry:
    path: Path  # the file it was opened from (the one `models add` writes by default)
    cards: tuple[ModelCard, ...]
    deployments: tuple[Deployment, ...]
    # Every file read, in search order ((path,) for a single file); and, when there are
    # several, (card id, file) for each card, so that listings can say where it came from.
    layers: tuple[Path, ...] = ()
    card_files: tuple[tuple[str, Path], ...] = ()

    def card(self, model_id: str) -> ModelCard:
        for card in self.cards:
            if card.id == model_id:
                return card
        raise KeyError(model_id)

    def origin(self, model_id: str) -> Path:
        """The registry file that defined this card."""
        return dict(self.card_files).get(model_id, self.path)

    def deployments_of(self, model_id: str) -> tuple[Deployment, ...]:
        return tuple(d for d in self.deployments if d.model == model_id)

    def with_entries(
        self,
        cards: Sequence[ModelCard] = (),
        deployments: Sequence[Deployment] = (),
        *,
        id_name: str = "id",
    ) -> Registry:
        """This registry plus cards and deployments defined elsewhere (in code, on the command
        line). An entry equal to a stored one is kept once; a different one under a stored
        id is refused (one line), so an ad-hoc model never silently replaces a card.
        id_name: what the caller calls the id in its message (`--id` on the command line)."""
        new_cards = list(self.cards)
        for card in cards:
            old = next((c for c in new_cards if c.id == card.id), None)
            if old is None:
                new_cards.append(card)
            elif old != card:
                raise UserError(
                    f"model '{card.id}' is already in {self.origin(card.id)} with other facts; "
                    f"choose another id ({id_name}) or use the registry's card"
                )
        new_deps = list(self.deployments)
        known = {c.id for c in new_cards}
        for dep in deployments:
            if dep.model not in known:
                raise UserError(f"deployment '{dep.id}': unknown model '{dep.model}'")
            old_dep = next((d for d in new_deps if d.id == dep.id), None)
            if old_dep is None:
                new_deps.append(dep)
            elif old_dep != dep:
                raise UserError(
                    f"deployment '{dep.id}' is already in {self.path} with other settings"
                )
        files = self.card_files
        if files:
            files = files + tuple((c.id, self.path) for c in cards if c.id not in dict(files))
        return Registry(
            path=self.path,
            cards=tuple(new_cards),
            deployments=tuple(new_deps),
            layers=self.layers,
            card_files=files,
        )

    def with_settings(self, *, timeout_s: float | None = None) -> Registry:
        """Every deployment with these call settings replaced (validated by the deployment's
        own bounds). They are not result facts (out of run keys): a rerun re-runs nothing."""
        if timeout_s is None:
            return self
        deps = tuple(
            Deployment.model_validate({**d.model_dump(), "timeout_s": timeout_s})
            for d in self.deployments
        )
        return replace(self, deployments=deps)

    def names(self) -> list[str]:
        """Every name that resolves: card ids, deployment ids and aliases."""
        out = [c.id for c in self.cards] + [d.id for d in self.deployments]
        out += [a for c in self.cards for a in c.aliases]
        return list(dict.fromkeys(out))

    def suggestions(self, ref: str, n: int = 4) -> list[str]:
        """Known names close to `ref`: those containing it (or contained in it), then the
        closest spellings (difflib)."""
        lowered = ref.lower()
        names = self.names()
        containing = [
            x for x in names if "@" not in x and (lowered in x or (len(x) >= 4 and x in lowered))
        ]
        close = difflib.get_close_matches(lowered, names, n=n, cutoff=0.6)
        return list(dict.fromkeys(containing + close))[:n]

    def resolve(self, ref: str) -> tuple[ModelCard, Deployment]:
        """A deployment id, a card id (its first deployment) or an alias -> (card, deployment).

        Raises KeyError with a readable reason (ambiguous alias: the candidates; unknown: the
        closest names); callers turn it into a ConfigError naming their own file and field.
        """
        for dep in self.deployments:
            if dep.id == ref:
                return self.card(dep.model), dep
        card = next((c for c in self.cards if c.id == ref), None)
        if card is None:
            matches = [c for c in self.cards if ref.lower() in c.aliases]
            if len(matches) > 1:
                ids = ", ".join(c.id for c in matches)
                raise KeyError(f"'{ref}' is ambiguous: an alias of {ids}; give one of them")
            if not matches:
                near = self.suggestions(ref)
                hint = f"did you mean {', '.join(near)}? " if near else ""
                raise KeyError(f"unknown model or deployment '{ref}' ({hint}see `gapbench models`)")
            card = matches[0]
        deps = self.deployments_of(card.id)
        if not deps:
            raise KeyError(f"model '{card.id}' has no deployment in {self.origin(card.id)}")
        return card, deps[0]


@dataclass(frozen=True)
class _Layer:
    path: Path
    cards: tuple[ModelCard, ...]
    deployments: tuple[Deployment, ...]
    include_shipped: bool


def _read_layer(path: Path) -> _Layer:
    """One registry file, validated on its own (ids unique within it); its deployments may
    name cards of another layer, which `_checked` verifies once the layers are merged."""
    raw = load_model(path, _RegistryFile)
    cards = tuple(parse_model(path, ModelCard, m, f"models[{i}]") for i, m in enumerate(raw.models))
    deps = tuple(
        parse_model(path, Deployment, d, f"deployments[{i}]") for i, d in enumerate(raw.deployments)
    )
    seen: set[str] = set()
    for i, card in enumerate(cards):
        if card.id in seen:
            raise ConfigError(path, f"models[{i}].id", f"duplicate model id '{card.id}'")
        seen.add(card.id)
    dep_seen: set[str] = set()
    for i, dep in enumerate(deps):
        if dep.id in dep_seen:
            raise ConfigError(path, f"deployments[{i}].id", f"duplicate deployment id '{dep.id}'")
        dep_seen.add(dep.id)
    return _Layer(path, cards, deps, raw.include_shipped)


def _checked(registry: Registry, own: _Layer) -> Registry:
    """Deployments name known cards; no alias hides a card or deployment id."""
    cards = {c.id for c in registry.cards}
    dep_ids = {d.id for d in registry.deployments}
    for i, dep in enumerate(own.deployments):
        if dep.model not in cards:
            raise ConfigError(own.path, f"deployments[{i}].model", f"unknown model '{dep.model}'")
    for i, card in enumerate(own.cards):
        for j, alias in enumerate(card.aliases):
            if alias in cards or alias in dep_ids:
                raise ConfigError(
                    own.path,
                    f"models[{i}].aliases[{j}]",
                    f"'{alias}' is already the id of a model or deployment",
                )
    return registry


def load_registry(path: Path) -> Registry:
    """One registry file alone (models.yaml, or a personal file with nothing under it):
    cards and deployments, validated; one ConfigError line naming the file and field on any
    problem. `open_registry` is what a workspace uses (a personal file over the shipped one)."""
    layer = _read_layer(path)
    registry = Registry(path=path, cards=layer.cards, deployments=layer.deployments, layers=(path,))
    return _checked(registry, layer)


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.resolve() == b.resolve()
    except OSError:
        return False


def open_registry(path: Path, shipped: Path = SHIPPED_REGISTRY) -> Registry:
    """The registry a workspace uses: `path` over the shipped models.yaml (module docstring:
    the first file defining an id wins), or `path` alone when it is the shipped file or sets
    `include_shipped: false`."""
    if _same_file(path, shipped):
        return load_registry(path)
    own = _read_layer(path)
    if not own.include_shipped:
        return load_registry(path)
    base = _read_layer(shipped)
    own_cards = {c.id for c in own.cards}
    own_deps = {d.id for d in own.deployments}
    cards = own.cards + tuple(c for c in base.cards if c.id not in own_cards)
    deps = own.deployments + tuple(d for d in base.deployments if d.id not in own_deps)
    files = tuple((c.id, path) for c in own.cards) + tuple(
        (c.id, shipped) for c in base.cards if c.id not in own_cards
    )
    registry = Registry(
        path=path, cards=cards, deployments=deps, layers=(path, shipped), card_files=files
    )
    return _checked(registry, own)
