"""`gapbench models add`, `--help` that helps, and the README's commands table kept true."""

from __future__ import annotations

import argparse
import re
from collections.abc import Callable
from pathlib import Path

import pytest

import gapbench
from harness import api, exitcodes
from harness.cli import COMMANDS, build_parser
from harness.models import load_registry
from tests.cli.conftest import REPO, Ran


def test_models_add_writes_a_valid_card_and_deployment_keeping_comments(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, gapbench: Callable[..., Ran]
) -> None:
    registry = tmp_path / "models.yaml"
    original = (REPO / "models.yaml").read_text()
    registry.write_text(original)
    ran = gapbench(
        "models",
        "add",
        "my-llama",
        "--access",
        "open",
        "--release-date",
        "2025-04-05",
        "--base-url",
        "http://127.0.0.1:8080/v1",
        "--api-model",
        "llama",
        "--registry",
        str(registry),
    )
    assert ran.code == exitcodes.OK, ran.err
    text = registry.read_text()
    old_comments = [ln for ln in original.splitlines() if ln.strip().startswith("#")]
    assert all(c in text for c in old_comments)  # hand-written comments survive
    reg = load_registry(registry)
    card, dep = reg.resolve("my-llama")
    assert (card.access, str(card.release_date)) == ("open", "2025-04-05")
    assert (dep.provider, dep.base_url, dep.api_model) == (
        "openai-compatible",
        "http://127.0.0.1:8080/v1",
        "llama",
    )
    assert len(reg.cards) == len(load_registry(REPO / "models.yaml").cards) + 1

    # the new model is usable at once through GAPBENCH_REGISTRY (the path the README names)
    monkeypatch.setenv("GAPBENCH_REGISTRY", str(registry))
    ran = gapbench("models")
    assert ran.code == 0 and "my-llama" in ran.out


def test_add_model_api_creates_a_registry_file(tmp_path: Path) -> None:
    model = gapbench.endpoint(
        "http://127.0.0.1:8080/v1", "Qwen2.5 7B", access="open", release_date="2024-09-19"
    )
    path = gapbench.add_model(model, registry=tmp_path / "mine.yaml")
    reg = load_registry(path)
    assert [c.id for c in reg.cards] == ["qwen2.5-7b"]
    assert reg.resolve("qwen2.5-7b")[1].base_url == "http://127.0.0.1:8080/v1"
    with pytest.raises(gapbench.UserError, match="already there"):
        gapbench.add_model(model, registry=path)


def _subparsers(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def test_every_help_has_examples_and_the_exit_codes(gapbench: Callable[..., Ran]) -> None:
    codes = {
        name: value
        for name, value in vars(exitcodes).items()
        if name.isupper() and isinstance(value, int)
    }
    commands = _subparsers(build_parser())
    assert len(commands) >= len(COMMANDS)
    for argv in [[], *([name] for name in commands), ["models", "add"]]:
        ran = gapbench(*argv, "--help")
        assert ran.code == 0, argv
        assert "examples:" in ran.out and "gapbench " in ran.out, argv
        for name, value in codes.items():
            assert re.search(rf"^\s*{value}\s+{name}\s+\S", ran.out, re.M), (argv, name)


def test_readme_commands_table_names_every_command() -> None:
    readme = (REPO / "README.md").read_text()
    table = readme.split("## Commands", 1)[1].split("\n## ", 1)[0]
    listed = set(re.findall(r"^\| `gapbench ([a-z-]+)", table, re.M))
    assert listed == set(_subparsers(build_parser())), listed
    assert "GAPBENCH_REGISTRY" in readme and "import gapbench" in readme


def test_public_api_is_documented() -> None:
    """`import gapbench` is the way in: every public name exists and has a docstring."""
    for name in gapbench.__all__:
        obj = getattr(gapbench, name)
        if callable(obj):
            assert (obj.__doc__ or "").strip(), name
    assert set(api.__all__) <= set(dir(api))
    for name in api.__all__:  # the lazy table, the eager imports and __all__ agree
        assert getattr(api, name) is not None, name
        assert not isinstance(getattr(api, name), type(api)), f"{name} is a module"
