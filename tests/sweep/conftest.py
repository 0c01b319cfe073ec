"""Workspaces aimed at the fake API (tests/fakeapi) for executor tests: real SDKs, real HTTP."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import yaml

from harness import api
from harness.config import load_settings
from tests.fakeapi import FakeAPI
from tests.fakeapi.registry import registry_yaml


def workspace(
    tmp_path: Path,
    fake: FakeAPI,
    *,
    timeout_s: float = 5.0,
    max_retries: int = 0,
    max_connections: int | None = None,
    results: str = "results",
    cache: str = "cache",
    bad_key_env: str | None = None,
    context_length: int | None = None,
) -> api.Workspace:
    """A workspace whose registry has fake-gpt (OpenAI protocol) and fake-claude (Anthropic)
    served by `fake`. bad_key_env: fake-claude reads its key from this variable instead.
    context_length: declared on both deployments (it bounds a sample's worst-case cost)."""
    data = yaml.safe_load(registry_yaml(fake, timeout_s=timeout_s, max_retries=max_retries))
    for dep in data["deployments"]:
        if max_connections is not None:
            dep["max_connections"] = max_connections
        if context_length is not None:  # bounds a prompt, so a sample's worst-case cost
            dep["context_length"] = context_length
        if bad_key_env and dep["provider"] == "anthropic":
            dep["api_key_env"] = bad_key_env
    registry = tmp_path / "models.yaml"
    registry.write_text(yaml.safe_dump(data, sort_keys=False))
    settings = replace(
        load_settings(tmp_path),
        registry_path=registry,
        results_dir=tmp_path / results,
        reports_dir=tmp_path / "reports",
        cache_dir=tmp_path / cache,
    )
    return api.workspace(settings)


def sweep_file(tmp_path: Path, body: str, name: str = "sweep.yaml") -> Path:
    path = tmp_path / name
    path.write_text(body)
    return path
