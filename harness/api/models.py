"""Models: list them, describe one that is not in the registry, add one to a registry file,
and the command that serves a GGUF model with gapbench's fixed llama.cpp server."""

from __future__ import annotations

import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from harness._loading import validation_to_config_error
from harness._types import Access
from harness.api.workspace import Workspace, workspace
from harness.errors import UserError
from harness.models import Deployment, ModelCard
from harness.models.deployments import LocalWeights
from harness.suites import SuiteSpec


@dataclass(frozen=True)
class Model:
    """A model with its card (what it is) and one deployment (how it is reached).

    Pass it to `evaluate(models=[...])` to run a model that is not in the registry, or to
    `add_model` to write it there.
    """

    card: ModelCard
    deployment: Deployment

    @property
    def id(self) -> str:
        return self.card.id


def _validated(cls: type[BaseModel], data: Mapping[str, Any], names: Mapping[str, str]) -> Any:
    """Build `cls`; a bad field becomes one UserError line naming its option/argument."""
    try:
        return cls.model_validate(dict(data))
    except ValidationError as exc:
        err = validation_to_config_error(cls.__name__, exc)
        field = (err.field or "").split(".", 1)[0]
        raise UserError(f"{names.get(field, field)}: {err.problem}") from None


def slug(text: str) -> str:
    """A model id from a name: 'Llama-3.1 8B Instruct' -> 'llama-3.1-8b-instruct'."""
    out = re.sub(r"[^a-z0-9._-]+", "-", text.lower()).strip("-._")
    return out[:100] or "model"


def endpoint(
    base_url: str,
    api_model: str,
    *,
    access: Access,
    release_date: date | str,
    id: str | None = None,
    name: str | None = None,
    organisation: str = "unknown",
    licence: str = "unknown",
    source: str | None = None,
    api_key_env: str | None = None,
    tool_call_format: str = "native",
    context_length: int | None = None,
    max_connections: int = 4,
    names: Mapping[str, str] | None = None,
) -> Model:
    """A model served by any OpenAI-compatible server (vLLM, llama.cpp, a hosted API).

    base_url: e.g. "http://127.0.0.1:8080/v1"; api_model: the model name that server knows;
    access and release_date: the card facts every gap needs (a log or a URL does not say
    them). id defaults to a slug of api_model. api_key_env names the environment variable
    holding the key, if the server wants one (the key itself is never stored).
    Raises UserError (one line naming the argument) on invalid input.
    """
    names = {
        "base_url": "base_url",
        "api_model": "api_model",
        "release_date": "release_date",
        "access": "access",
        "id": "id",
        **(names or {}),
    }
    model_id = id or slug(api_model)
    card = _validated(
        ModelCard,
        {
            "id": model_id,
            "name": name or api_model,
            "organisation": organisation,
            "access": access,
            "release_date": release_date,
            "licence": licence,
            "source": source or base_url,
        },
        names,
    )
    dep = _validated(
        Deployment,
        {
            "id": f"{card.id}@endpoint",
            "model": card.id,
            "provider": "openai-compatible",
            "api_model": api_model,
            "base_url": base_url,
            "api_key_env": api_key_env,
            "tool_call_format": tool_call_format,
            "context_length": context_length,
            "max_connections": max_connections,
        },
        names,
    )
    return Model(card, dep)


def model_from_fields(
    card: Mapping[str, Any],
    deployment: Mapping[str, Any] | None,
    names: Mapping[str, str] | None = None,
) -> tuple[ModelCard, Deployment | None]:
    """A card (and deployment) from plain fields, each error naming its option/argument."""
    names = names or {}
    the_card = _validated(ModelCard, card, names)
    dep = None
    if deployment is not None:
        dep = _validated(Deployment, {"model": the_card.id, **deployment}, names)
    return the_card, dep


def add_model(
    card: ModelCard | Model,
    deployment: Deployment | None = None,
    *,
    registry: str | Path | None = None,
    ws: Workspace | None = None,
) -> Path:
    """Append a card (and a deployment) to a registry file, validated, comments kept.

    registry: the file to write (default: the workspace's, i.e. $GAPBENCH_REGISTRY or the
    repository's models.yaml; created if it does not exist). Returns its path.
    """
    from harness.models import SHIPPED_REGISTRY, load_registry, open_registry
    from harness.models.writer import add_to_registry

    the_card = card.card if isinstance(card, Model) else card
    if isinstance(card, Model) and deployment is None:
        deployment = card.deployment
    if registry is None:
        registry = (ws or workspace()).settings.registry_path
    path = Path(registry)
    # The ids must be free in what this file opens with: itself over the shipped models.yaml
    # (a new file includes the shipped one too). Replacing a shipped entry is done by hand.
    layered = open_registry(path) if path.exists() else load_registry(SHIPPED_REGISTRY)
    if any(c.id == the_card.id for c in layered.cards):
        origin = layered.origin(the_card.id)
        where = "" if origin == path else f" (from {origin}, which it extends)"
        raise UserError(
            f"{path}: model '{the_card.id}' is already there{where}; choose another id "
            "(`gapbench models` lists them)"
        )
    if deployment is not None and any(d.id == deployment.id for d in layered.deployments):
        raise UserError(f"{path}: deployment '{deployment.id}' is already there")
    add_to_registry(path, the_card, deployment)
    return path


def models(ws: Workspace | None = None) -> tuple[ModelCard, ...]:
    """The registry's model cards (`ws.registry.deployments_of(id)` for how each is reached)."""
    return (ws or workspace()).registry.cards


def suites(ws: Workspace | None = None) -> tuple[SuiteSpec, ...]:
    """Every suite in the tasks folder (name, kind, engine, version, limits, source)."""
    return (ws or workspace()).suites.suites


def serve_command(
    model: str,
    *,
    port: int = 8080,
    host: str = "127.0.0.1",
    ws: Workspace | None = None,
) -> tuple[list[str], str]:
    """The command that serves `model` (a registry id or deployment with GGUF weights, or a
    path to a .gguf file) with gapbench's fixed llama.cpp server, and the model name it
    answers to.

    The server is llama-cpp-python's own (same flags) plus the fix that makes the
    chatml-function-calling format honour max_tokens (harness/serve/llama_server.py); a
    stock server can generate until n_ctx inside a tool call and stall agentic suites.
    """
    from harness.serve.llama import llama_cpp_command, server_args
    from harness.serve.weights import resolve_weights

    if not 0 < port < 65536:
        raise UserError(f"port: must be 1..65535 (got {port})")
    gguf = Path(model)
    if gguf.suffix == ".gguf":
        if not gguf.is_file():
            raise UserError(f"{gguf}: file not found")
        dep = Deployment(
            id="gguf@llama-cpp",
            model=slug(gguf.stem),
            provider="llama-cpp",
            weights=LocalWeights(path=str(gguf)),
            tool_call_format="chatml-function-calling",
        )
        alias, path = slug(gguf.stem), gguf
    else:
        w = ws or workspace()
        try:
            card, dep = w.registry.resolve(model)
        except KeyError as exc:
            raise UserError(f"serve: {exc.args[0]}") from None
        if dep.provider != "llama-cpp" or dep.weights is None:
            local = [
                d.id
                for d in w.registry.deployments_of(card.id)
                if d.provider == "llama-cpp" and d.weights
            ]
            if not local:
                raise UserError(
                    f"serve: {model} has no llama-cpp deployment with GGUF weights "
                    "(give a .gguf path instead)"
                )
            card, dep = w.registry.resolve(local[0])
        alias = dep.api_model or card.id
        path = resolve_weights(dep, want="file").path
    server_args(dep)  # refuses reserved flags with one line
    cmd = llama_cpp_command(dep, path, port=port, model_alias=alias)
    cmd[cmd.index("--host") + 1] = host
    cmd[0] = sys.executable
    return cmd, alias
