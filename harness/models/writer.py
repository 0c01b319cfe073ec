"""Add a card (and a deployment) to a registry file, validated, keeping its comments.

`gapbench models add` and `api.add_model` write through here. The new entries are checked
against the whole registry first (ids unique, the deployment's model known, every field
valid), then appended as YAML blocks to the `models:` and `deployments:` lists, so the
hand-written comments of models.yaml survive. The written file is read back and must equal
the old registry plus the new entries, or nothing is written. The write is atomic.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from harness._files import write_text_atomic
from harness._loading import loads_yaml, read_yaml
from harness.errors import ConfigError, UserError
from harness.models.cards import ModelCard
from harness.models.deployments import Deployment
from harness.models.registry import Registry, load_registry

_HEADER = (
    "# gapbench model registry (see `gapbench models --help`).\n"
    "# models: what a model IS; deployments: how it is REACHED. Keys never go here.\n"
)


def _as_yaml_data(entry: ModelCard | Deployment) -> dict[str, Any]:
    data: dict[str, Any] = entry.model_dump(mode="json", exclude_none=True, exclude_defaults=True)
    if isinstance(entry, Deployment):
        data["provider"] = entry.provider  # required, keep even when equal to a default
    return data


def _block(entry: ModelCard | Deployment, indent: str) -> str:
    text = yaml.safe_dump([_as_yaml_data(entry)], sort_keys=False, allow_unicode=True)
    return "".join(indent + line + "\n" for line in text.splitlines())


def _item_indent(text: str, key: str) -> str:
    """The indentation of list items under top-level `key:` ('  ' in models.yaml)."""
    match = re.search(rf"(?m)^{key}:[ \t]*(?:#.*)?\n(?:[ \t]*(?:#.*)?\n)*([ \t]*)- ", text)
    return match.group(1) if match else ""


def _insert(text: str, card: ModelCard, dep: Deployment | None) -> str:
    if not text.endswith("\n"):
        text += "\n"
    card_block = _block(card, _item_indent(text, "models"))
    deps_at = re.search(r"(?m)^deployments:", text)
    if deps_at is None:
        text += card_block
        if dep is not None:
            text += "\ndeployments:\n" + _block(dep, "  ")
        return text
    head, tail = text[: deps_at.start()], text[deps_at.start() :]
    head = head.rstrip("\n") + "\n" + card_block + "\n"
    text = head + tail
    if dep is not None:
        if not text.endswith("\n"):
            text += "\n"
        text += _block(dep, _item_indent(text, "deployments"))
    return text


def add_to_registry(path: Path, card: ModelCard, deployment: Deployment | None = None) -> Registry:
    """Append `card` (and `deployment`) to the registry at `path` (created if absent).

    Raises UserError when the id is taken or the deployment does not deploy `card`;
    ConfigError when the existing file is itself invalid. Returns the new registry.
    """
    path = Path(path)
    if deployment is not None and deployment.model != card.id:
        raise UserError(
            f"deployment '{deployment.id}' deploys '{deployment.model}', not '{card.id}'"
        )
    old = load_registry(path) if path.exists() else Registry(path=path, cards=(), deployments=())
    if any(c.id == card.id for c in old.cards):
        raise UserError(f"{path}: model '{card.id}' is already there (`gapbench models`)")
    if deployment is not None and any(d.id == deployment.id for d in old.deployments):
        raise UserError(f"{path}: deployment '{deployment.id}' is already there")
    new_deps = [deployment] if deployment is not None else []
    registry = old.with_entries([card], new_deps)  # the whole registry, validated
    if path.exists():
        new_text = _insert(path.read_text(encoding="utf-8"), card, deployment)
        raw = read_yaml(path)
        expected = {
            "models": [*(raw.get("models") or []), _as_yaml_data(card)],
            "deployments": [*(raw.get("deployments") or []), *map(_as_yaml_data, new_deps)],
        }
        got = loads_yaml(new_text, path) or {}
        if {k: got.get(k) or [] for k in expected} != expected:
            raise ConfigError(
                path,
                None,
                "cannot append to this file's layout (flow-style lists?); "
                "add the entry by hand (see `gapbench models add --help`)",
            )
    else:
        data: dict[str, Any] = {"models": [_as_yaml_data(card)]}
        if new_deps:
            data["deployments"] = [_as_yaml_data(d) for d in new_deps]
        new_text = _HEADER + yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
    write_text_atomic(path, new_text)
    return registry
