"""Hub-benchmark suites: what they declare, and one line (never a traceback, never a hang)
when their data or sandbox is not there."""

from __future__ import annotations

import stat
import sys
from pathlib import Path

import pytest

from harness.config import REPO_ROOT
from harness.errors import ConfigError
from harness.runners.inspect_tasks.hub_data import HubDataUnavailable, docker_problem, ensure_docker
from harness.store.importers.epoch import load_mapping
from harness.suites.registry import load_suite, load_suites
from tests.fixtures.epoch import epoch_dump_dir
from tests.suites.hub_cache import hub_caches

__all__ = ["hub_caches"]

HUB = [s for s in load_suites(REPO_ROOT / "tasks").suites if s.hub_benchmark]


def test_hub_suites_cover_the_issue_list() -> None:
    measured = {s.hub_benchmark for s in HUB}
    # standard: GPQA Diamond, MATH level 5, AIME, MMLU, HLE; agentic: SWE-bench Verified + one
    assert {"gpqa_diamond", "math_level_5", "otis_mock_aime_2024_2025", "mmlu", "hle"} <= measured
    assert {"swe_bench_verified", "swe_bench_bash_only"} <= measured


@pytest.mark.parametrize("suite", HUB, ids=lambda s: s.name)
def test_hub_benchmark_is_an_imported_benchmark_of_the_same_kind(suite) -> None:  # type: ignore[no-untyped-def]
    mapping = {b.suite: b for b in load_mapping().benchmarks}
    bench = mapping[suite.hub_benchmark]
    assert bench.include and bench.kind == suite.kind
    assert suite.protocol is not None and suite.protocol.items in ("same", "subset", "different")
    assert suite.engine == "inspect" and suite.task == suite.name
    dump = epoch_dump_dir()
    if dump.is_dir():  # the published data really has this benchmark
        assert (dump / bench.file).is_file()


def test_the_aime_stand_in_says_its_items_differ() -> None:
    aime = next(s for s in HUB if s.name == "hub_aime")
    assert aime.protocol is not None and aime.protocol.items == "different"


def test_hub_benchmark_without_protocol_is_refused(tmp_path: Path) -> None:
    src = (REPO_ROOT / "tasks" / "standard" / "hub_mmlu" / "suite.yaml").read_text()
    body = src.split("protocol:")[0] + "limits:\n  max_tokens: 64\n"
    path = tmp_path / "suite.yaml"
    path.write_text(body)
    with pytest.raises(ConfigError) as err:
        load_suite(path)
    assert str(path) in str(err.value) and "protocol" in str(err.value)
    assert "\n" not in str(err.value)


def test_hub_fields_change_no_run_key() -> None:
    """hub_benchmark and protocol document a suite; they are not in its dump (run keys)."""
    suite = next(s for s in HUB if s.name == "hub_mmlu")
    dumped = suite.model_dump(mode="json")
    assert "hub_benchmark" not in dumped and "protocol" not in dumped


OFFLINE_NO_DATA = ["hub_math_level_5", "hub_aime", "hub_mmlu", "hub_hle"]


@pytest.mark.parametrize("name", OFFLINE_NO_DATA)
def test_offline_without_data_is_one_line(
    name: str, hub_caches: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from harness.runners.inspect_runner import InspectRunner

    monkeypatch.setenv("GAPBENCH_OFFLINE", "1")
    spec = next(s for s in HUB if s.name == name)
    with pytest.raises(HubDataUnavailable) as err:
        InspectRunner().sample_ids(spec)
    message = str(err.value)
    assert message.startswith(f"{name}: Hugging Face dataset ") and "\n" not in message
    assert "not in the local cache" in message and "offline" in message
    assert str(hub_caches) in message


def test_datasets_own_offline_switch_is_respected(
    hub_caches: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from harness.runners.inspect_runner import InspectRunner

    for var in ("GAPBENCH_OFFLINE", "HF_HUB_OFFLINE"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    monkeypatch.setenv("HF_ENDPOINT", "http://127.0.0.1:9")  # must not even be tried
    spec = next(s for s in HUB if s.name == "hub_aime")
    with pytest.raises(HubDataUnavailable) as err:
        InspectRunner().sample_ids(spec)
    assert "gapbench is offline" in str(err.value) and "127.0.0.1" not in str(err.value)


def test_online_but_unreachable_hub_is_one_line(
    hub_caches: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Not offline by configuration, but the Hub does not answer: the short connect check
    says so at once instead of datasets' retries."""
    from harness.runners.inspect_runner import InspectRunner

    for var in ("GAPBENCH_OFFLINE", "HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("HF_ENDPOINT", "http://127.0.0.1:9")  # the discard port: refused
    spec = next(s for s in HUB if s.name == "hub_mmlu")
    with pytest.raises(HubDataUnavailable) as err:
        InspectRunner().sample_ids(spec)
    assert "cannot reach 127.0.0.1" in str(err.value) and "\n" not in str(err.value)


def _fake_docker(folder: Path, script: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    exe = folder / "docker"
    exe.write_text(f"#!{sys.executable}\n{script}\n")
    exe.chmod(exe.stat().st_mode | stat.S_IXUSR)


def test_docker_without_an_engine_is_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # a docker client whose daemon is not running, as on this machine and most CI runners
    _fake_docker(
        tmp_path / "bin",
        "import sys\nsys.stderr.write('Cannot connect to the Docker daemon at "
        "unix:///var/run/docker.sock. Is the docker daemon running?\\n')\nsys.exit(1)",
    )
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))
    problem = docker_problem()
    assert problem is not None and problem.startswith("needs a running docker engine")
    assert "Cannot connect to the Docker daemon" in problem
    with pytest.raises(HubDataUnavailable) as err:
        ensure_docker("hub_swe_bench_verified")
    assert str(err.value).startswith("hub_swe_bench_verified: needs a running docker engine")
    assert "\n" not in str(err.value)
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    assert docker_problem() == "needs a docker engine (the docker command is not installed)"
    _fake_docker(tmp_path / "ok", "print('27.3.1')")
    monkeypatch.setenv("PATH", str(tmp_path / "ok"))
    assert docker_problem() is None


@pytest.mark.parametrize("name", ["hub_swe_bench_verified", "hub_swe_bench_bash_only"])
def test_swe_bench_suites_are_skipped_in_the_plan_with_one_line(
    name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What a sweep does with them here: skip, one line, before any data or image is read
    (the swebench package or the docker engine is missing)."""
    from harness.runners.inspect_runner import InspectRunner
    from harness.sweep.plan import missing_requirement

    spec = next(s for s in HUB if s.name == name)
    problem = missing_requirement(spec)
    if problem is None:  # swebench installed: the docker check is what stops it
        monkeypatch.setenv("PATH", str(tmp_path / "no-docker"))
        with pytest.raises(HubDataUnavailable) as err:
            InspectRunner().sample_ids(spec)
        problem = str(err.value)
        assert "docker" in problem
    else:
        assert problem == "needs Python module 'swebench' (not installed)"
    assert "\n" not in problem


def test_hub_gap_sweep_compares_an_open_model_with_closed_peers_on_hub_benchmarks() -> None:
    """sweeps/hub_gap.yaml: one command for "did the gap close?": an open model first, closed
    peers released near it, and only suites whose hub benchmark has published open AND closed
    scores (so every suite places the run on a defined gap)."""
    from harness.config import BUNDLED_EPOCH_DUMP
    from harness.models import load_registry
    from harness.store.importers.epoch import collect_epoch
    from harness.sweep.spec import load_sweep

    sweep = load_sweep(REPO_ROOT / "sweeps" / "hub_gap.yaml")
    registry = load_registry(REPO_ROOT / "models.yaml")
    cards = [registry.resolve(ref)[0] for ref in sweep.models]
    assert cards[0].access == "open" and cards[1:]
    assert all(c.access == "closed" for c in cards[1:])
    for peer in cards[1:]:
        assert abs((peer.release_date - cards[0].release_date).days) <= 92, peer.id
    by_name = {s.name: s for s in load_suites(REPO_ROOT / "tasks").suites}
    suites = [by_name[name] for name in sweep.suites]
    assert all(s.hub_benchmark for s in suites)
    assert {s.kind for s in suites} == {"standard", "agentic"}
    if any(s.needs_user_simulator for s in suites):
        judge = registry.resolve(sweep.user_simulator or "")[0]
        assert judge.id in {c.id for c in cards[1:]}  # a pinned judge the sweep already pays for
    published: dict[str, set[str]] = {}
    for rec in collect_epoch(BUNDLED_EPOCH_DUMP).records:
        published.setdefault(rec.suite, set()).add(rec.access)
    for s in suites:
        assert published.get(s.hub_benchmark or "") == {"open", "closed"}, s.name
