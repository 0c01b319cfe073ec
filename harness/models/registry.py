"""models.yaml: the registry of model cards and their deployments."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict

from harness._loading import load_model, parse_model
from harness.errors import ConfigError, UserError
from harness.models.cards import ModelCard
from harness.models.deployments import Deployment


class _RegistryFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    models: list[dict[str, Any]]
    deployments: list[dict[str, Any]] = []


@dataclass(frozen=True)
class Registry:
    path: Path
    cards: tuple[ModelCard, ...]
    deployments: tuple[Deployment, ...]

    def card(self, model_id: str) -> ModelCard:
        for card in self.cards:
            if card.id == model_id:
                return card
        raise KeyError(model_id)

    def deployments_of(self, model_id: str) -> tuple[Deployment, ...]:
        return tuple(d for d in self.deployments if d.model == model_id)

    def with_entries(
        self, cards: Sequence[ModelCard] = (), deployments: Sequence[Deployment] = ()
    ) -> Registry:
        """This registry plus cards and deployments defined elsewhere (in code, on the command
        line). An entry equal to a stored one is kept once; a different one under a stored
        id is refused (one line), so an ad-hoc model never silently replaces a card."""
        new_cards = list(self.cards)
        for card in cards:
            old = next((c for c in new_cards if c.id == card.id), None)
            if old is None:
                new_cards.append(card)
            elif old != card:
                raise UserError(
                    f"model '{card.id}' is already in {self.path} with other facts; "
                    "choose another id (--id) or use the registry's card"
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
        return Registry(path=self.path, cards=tuple(new_cards), deployments=tuple(new_deps))

    def resolve(self, ref: str) -> tuple[ModelCard, Deployment]:
        """'model-id' (its first deployment) or a deployment id -> (card, deployment).

        Raises KeyError with a readable reason; callers turn it into a ConfigError naming
        their own file and field.
        """
        for dep in self.deployments:
            if dep.id == ref:
                return self.card(dep.model), dep
        try:
            card = self.card(ref)
        except KeyError:
            raise KeyError(f"unknown model or deployment '{ref}' (see `gapbench models`)") from None
        deps = self.deployments_of(ref)
        if not deps:
            raise KeyError(f"model '{ref}' has no deployment in {self.path}")
        return card, deps[0]


def load_registry(path: Path) -> Registry:
    """models.yaml (or $GAPBENCH_REGISTRY): cards and deployments, validated; one ConfigError
    line naming the file and field on any problem."""
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
        if dep.model not in seen:
            raise ConfigError(path, f"deployments[{i}].model", f"unknown model '{dep.model}'")
    return Registry(path=path, cards=cards, deployments=deps)
