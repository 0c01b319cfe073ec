"""Preflight: missing keys skip with one line; unknown models and dead endpoints stop the sweep."""

from __future__ import annotations

import socket

import pytest

from harness.errors import PreflightError
from harness.models import Deployment
from harness.models.deployments import LocalWeights
from harness.sweep.preflight import preflight
from tests.fakeapi import FakeAPI
from tests.fixtures.fakeapi import FAKE_API_KEY
from tests.requestpath.conftest import card, deployment, upstream_url

ENV = {"OPENAI_API_KEY": FAKE_API_KEY, "ANTHROPIC_API_KEY": FAKE_API_KEY}


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])  # closed when the block ends: nothing listens there


def test_all_known_models_pass(fake_api: FakeAPI) -> None:
    items = [
        (card("fake-gpt"), deployment("openai", fake_api.openai_base_url)),
        (card("fake-claude"), deployment("anthropic", fake_api.base_url)),
        (
            card("fake-gpt"),
            deployment(
                "openai", fake_api.openai_base_url, api_model="fake-gpt-2026-01-15", dep_id="snap"
            ),
        ),
    ]
    report = preflight(items, env=ENV)
    assert [i.outcome for i in report.items] == ["ok", "ok", "ok"]
    assert len(report.runnable) == 3 and report.lines() == []
    assert fake_api.n_requests == 0  # nothing billable was called


def test_missing_key_skips_with_one_line_without_the_key(fake_api: FakeAPI) -> None:
    items = [
        (card("fake-gpt"), deployment("openai", fake_api.openai_base_url)),
        (card("fake-claude"), deployment("anthropic", fake_api.base_url)),
    ]
    report = preflight(items, env={"OPENAI_API_KEY": FAKE_API_KEY, "ANTHROPIC_API_KEY": "  "})
    assert [c.id for c, _ in report.runnable] == ["fake-gpt"]
    assert report.lines() == [
        "skipped fake-claude (fake-claude@anthropic): ANTHROPIC_API_KEY is not set"
    ]


def test_nothing_runnable_is_an_error(fake_api: FakeAPI) -> None:
    items = [
        (card("fake-gpt"), deployment("openai", fake_api.openai_base_url, api_key_env="MY_KEY"))
    ]
    with pytest.raises(PreflightError, match=r"nothing runnable: .*MY_KEY is not set") as err:
        preflight(items, env=ENV)
    assert "\n" not in str(err.value) and err.value.exit_code == 2


@pytest.mark.parametrize("protocol", ["openai", "anthropic"])
def test_unknown_model_is_an_error(fake_api: FakeAPI, protocol: str) -> None:
    dep = deployment(protocol, upstream_url(fake_api, protocol), api_model="gpt-9")  # type: ignore[arg-type]
    with pytest.raises(PreflightError, match="unknown model 'gpt-9'") as err:
        preflight([(card(), dep)], env=ENV)
    assert "\n" not in str(err.value)


@pytest.mark.timeout(60)
@pytest.mark.parametrize("protocol", ["openai", "anthropic"])
def test_unreachable_endpoint_is_an_error(protocol: str) -> None:
    url = f"http://127.0.0.1:{_closed_port()}" + ("/v1" if protocol == "openai" else "")
    dep = deployment(protocol, url)  # type: ignore[arg-type]
    with pytest.raises(PreflightError, match="unreachable") as err:
        preflight([(card(), dep)], env=ENV, timeout_s=2.0)
    assert "\n" not in str(err.value)


@pytest.mark.parametrize("protocol", ["openai", "anthropic"])
def test_an_endpoint_that_says_nothing_is_slow_not_unreachable(protocol: str) -> None:
    # A3: a gateway whose model listing took 20 s was reported "unreachable (ReadTimeout)".
    with socket.socket() as listening:  # takes connections (the kernel's backlog), never answers
        listening.bind(("127.0.0.1", 0))
        listening.listen(8)
        port = listening.getsockname()[1]
        url = f"http://127.0.0.1:{port}" + ("/v1" if protocol == "openai" else "")
        dep = deployment(protocol, url)  # type: ignore[arg-type]
        with pytest.raises(PreflightError) as err:
            preflight([(card(), dep)], env=ENV, timeout_s=0.3)
    message = str(err.value)
    assert "did not answer a model lookup within 0.3 s" in message and "unreachable" not in message


def test_rejected_key_is_an_error_and_never_echoed(fake_api: FakeAPI) -> None:
    wrong = "sk-wrong-key-ABCDEF"
    with pytest.raises(PreflightError, match="rejected the key") as err:
        preflight(
            [(card(), deployment("openai", fake_api.openai_base_url))],
            env={"OPENAI_API_KEY": wrong},
        )
    assert wrong not in str(err.value)


def test_managed_and_keyless_local_deployments_need_no_key(fake_api: FakeAPI) -> None:
    managed = Deployment(
        id="local@llama-cpp",
        model="local",
        provider="llama-cpp",
        weights=LocalWeights(path="/nowhere/model.gguf"),
    )
    compatible = Deployment(
        id="local@compat",
        model="local",
        provider="openai-compatible",
        base_url=fake_api.openai_base_url,
        api_model=None,
    )
    fake_api_open = FakeAPI().start()  # a keyless server, like a local llama.cpp
    try:
        compatible = compatible.model_copy(update={"base_url": fake_api_open.openai_base_url})
        report = preflight(
            [(card("local", "open"), managed), (card("local", "open"), compatible)], env={}
        )
    finally:
        fake_api_open.stop()
    assert [i.outcome for i in report.items] == ["ok", "ok"]
    assert "managed" in report.items[0].reason
