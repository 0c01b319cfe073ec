"""Registries a researcher can live with: card aliases (`--model smollm2`), a personal registry
that adds to the shipped one (GAPBENCH_REGISTRY), a clear rule for ids defined in both, and
one line with suggestions for an unknown or ambiguous name."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from harness import api, exitcodes
from harness.errors import UserError
from harness.models import SHIPPED_REGISTRY, load_registry, open_registry
from harness.sweep.plan import run_key
from tests.cli.conftest import Ran, one_line_usage_error

MINE = """\
models:
  - id: my-llama
    name: My Llama
    organisation: me
    access: open
    release_date: 2025-04-05
    licence: unknown
    source: http://127.0.0.1:8080/v1
    aliases: [llama, twin]
  - id: my-other
    name: My Other
    organisation: me
    access: open
    release_date: 2025-04-06
    licence: unknown
    source: http://127.0.0.1:8081/v1
    aliases: [twin]
deployments:
  - id: my-llama@endpoint
    model: my-llama
    provider: openai-compatible
    api_model: llama
    base_url: http://127.0.0.1:8080/v1
  - id: my-other@endpoint
    model: my-other
    provider: openai-compatible
    api_model: other
    base_url: http://127.0.0.1:8081/v1
  # a new way to reach a SHIPPED card: no card needed here
  - id: gpt-5@my-proxy
    model: gpt-5
    provider: openai-compatible
    api_model: gpt-5
    base_url: http://127.0.0.1:9000/v1
  # the same id as a shipped deployment: this file's wins
  - id: claude-sonnet-4.5@anthropic
    model: claude-sonnet-4.5
    provider: anthropic
    api_model: claude-sonnet-4-5-via-my-gateway
"""


@pytest.fixture
def mine(tmp_path: Path) -> Path:
    path = tmp_path / "mine.yaml"
    path.write_text(MINE)
    return path


def test_a_personal_registry_adds_to_the_shipped_one(mine: Path) -> None:
    shipped = load_registry(SHIPPED_REGISTRY)
    reg = open_registry(mine)
    assert reg.layers == (mine, SHIPPED_REGISTRY)
    ids = [c.id for c in reg.cards]
    assert ids[:2] == ["my-llama", "my-other"]  # the personal file is searched first
    assert set(ids) == {"my-llama", "my-other"} | {c.id for c in shipped.cards}
    assert reg.origin("my-llama") == mine and reg.origin("gpt-5") == SHIPPED_REGISTRY
    # a personal deployment of a shipped card is that card's default (searched first) ...
    assert reg.resolve("gpt-5")[1].id == "gpt-5@my-proxy"
    assert reg.resolve("gpt-5@openai")[1].provider == "openai"  # ... the shipped one stays
    # the same deployment id in both files: the personal file's entry, once
    sonnet = [d for d in reg.deployments if d.id == "claude-sonnet-4.5@anthropic"]
    assert [d.api_model for d in sonnet] == ["claude-sonnet-4-5-via-my-gateway"]
    # opting out: the personal file alone
    alone = mine.parent / "alone.yaml"
    alone.write_text("include_shipped: false\n" + MINE.split("  # a new way")[0])
    assert [c.id for c in open_registry(alone).cards] == ["my-llama", "my-other"]
    with pytest.raises(KeyError, match="unknown model or deployment 'gpt-5'"):
        open_registry(alone).resolve("gpt-5")


def test_aliases_resolve_and_stay_out_of_run_keys(mine: Path) -> None:
    reg = open_registry(mine)
    assert reg.resolve("smollm2")[0].id == "smollm2-135m-instruct"  # declared in models.yaml
    assert reg.resolve("llama")[1].id == "my-llama@endpoint"
    with pytest.raises(KeyError, match="'twin' is ambiguous: an alias of my-llama, my-other"):
        reg.resolve("twin")
    card, dep = reg.resolve("smollm2")
    suite = api.workspace().suites.get("ladder_standard")
    bare = card.model_copy(update={"aliases": ()})
    assert run_key(card, dep, suite, "v", None) == run_key(bare, dep, suite, "v", None)


def test_an_alias_may_not_hide_an_id(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(MINE.replace("aliases: [llama, twin]", "aliases: [llama, gpt-5]"))
    with pytest.raises(UserError, match=r"models\[0\]\.aliases\[1\]: 'gpt-5' is already"):
        open_registry(bad)


def test_cli_names_models_by_alias_and_suggests_on_a_miss(
    mine: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, gapbench: Callable[..., Ran]
) -> None:
    monkeypatch.setenv("GAPBENCH_REGISTRY", str(mine))
    results = tmp_path / "r"
    ran = gapbench(
        "run", "--model", "smollm2", "--suite", "ladder_standard", "--limit", "2", "--dry-run"
    )
    assert ran.code == exitcodes.OK, ran.err
    assert "smollm2-135m-instruct" in ran.out
    one_line_usage_error(
        gapbench("run", "--model", "smollm", "--suite", "ladder_standard", "--dry-run"),
        "--model",
        "unknown model or deployment 'smollm'",
        "did you mean smollm2-135m-instruct",
    )
    one_line_usage_error(
        gapbench("run", "--model", "twin", "--suite", "ladder_standard", "--dry-run"),
        "--model",
        "ambiguous",
        "my-llama, my-other",
    )
    listing = gapbench("models")
    assert listing.code == exitcodes.OK
    rows = {ln.split("│")[1].strip(): ln for ln in listing.out.splitlines() if ln.count("│") > 3}
    assert "shipped" in rows["gpt-5"] and "mine.yaml" in rows["my-llama"]
    assert "smollm2" in rows["smollm2-135m-instruct"]  # the aliases column
    assert not results.exists()


def test_models_add_refuses_an_id_the_shipped_registry_has(
    tmp_path: Path, gapbench: Callable[..., Ran]
) -> None:
    path = tmp_path / "new.yaml"  # a new personal file extends the shipped one too
    ran = gapbench(
        "models", "add", "gpt-5", "--access", "closed", "--release-date", "2025-08-07",
        "--registry", str(path),
    )  # fmt: skip
    one_line_usage_error(ran, "'gpt-5' is already there", "models.yaml")
    assert not path.exists()
