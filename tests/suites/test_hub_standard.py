"""Hub-benchmark suites (standard side) run end to end through the real InspectRunner and
inspect_evals' own tasks, on a few samples written where their loaders read them (the
Hugging Face datasets cache, inspect_evals' cache), against the fake OpenAI API over HTTP.

The fake model answers some items right and some wrong on purpose: the stored scores must be
exactly the scorer's verdicts, and a judge that gives no verdict must be an error row."""

from __future__ import annotations

import csv
import hashlib
import re
from pathlib import Path

import pytest

from harness._types import SampleRecord
from harness.config import REPO_ROOT
from harness.runners.base import RunContext, UserSimulator
from harness.runners.inspect_runner import InspectRunner
from harness.runners.inspect_tasks.hub_data import HubDataUnavailable
from harness.suites.registry import load_suite
from harness.suites.spec import SuiteSpec
from tests.fakeapi import Conversation, FakeAPI, Reply
from tests.fakeapi.registry import fake_card, fake_deployment, fake_endpoint, upstream_url
from tests.fixtures.fakeapi import FAKE_API_KEY
from tests.suites.hub_cache import hub_caches, upstream, write_hf_dataset

__all__ = ["hub_caches"]  # the fixture, used by name

STANDARD = REPO_ROOT / "tasks" / "standard"


def suite(name: str) -> SuiteSpec:
    spec = load_suite(STANDARD / name / "suite.yaml")
    # small generations: the fake model answers in one line
    return spec.model_copy(update={"limits": spec.limits.model_copy(update={"max_tokens": 256})})


def ctx(spec: SuiteSpec, fake: FakeAPI, tmp: Path, todo: list[tuple[str, int]]) -> RunContext:
    dep = fake_deployment("openai", upstream_url(fake, "openai"))
    endpoint = fake_endpoint(dep, timeout_s=10.0, max_retries=0)
    judge = UserSimulator(fake_card("fake-judge"), endpoint) if spec.needs_user_simulator else None
    return RunContext(
        run_id=f"hub-{spec.name}",
        sweep_id="test",
        card=fake_card(dep.model),
        deployment=dep,
        endpoint=endpoint,
        suite=spec,
        todo=tuple(todo),
        raw_dir=tmp / "raw",
        user=judge,
    )


def run(spec: SuiteSpec, fake: FakeAPI, tmp: Path) -> dict[str, SampleRecord]:
    ids = InspectRunner().sample_ids(spec)
    records: list[SampleRecord] = []
    InspectRunner().run(ctx(spec, fake, tmp, [(i, 1) for i in ids]), records.append)
    assert sorted(r.sample_id for r in records) == sorted(ids)
    return {r.sample_id: r for r in records}


def answers(table: dict[str, str]) -> object:
    """A policy: the reply for the first key found in the prompt."""

    def policy(conv: Conversation) -> Reply:
        text = "\n".join(t.text for t in conv.turns)
        for key, reply in table.items():
            if key in text:
                return Reply(text=reply)
        return Reply(text="I do not know.\nANSWER: none")

    return policy


@pytest.fixture(autouse=True)
def _offline(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GAPBENCH_OFFLINE", "1")  # the data must come from the caches


def test_aime_runs_both_years_with_inspect_evals_scorer(
    hub_caches: Path, fake_api: FakeAPI, fake_api_key: str, tmp_path: Path
) -> None:
    a24, a25 = upstream("aime2024.aime2024"), upstream("aime2025.aime2025")

    write_hf_dataset(
        hub_caches,
        a24.DATASET_PATH,
        a24.AIME2024_DATASET_REVISION,
        "train",
        [
            {"ID": "2024-I-1", "Problem": "Find q-one.", "Answer": 204, "Solution": "s"},
            {"ID": "2024-I-2", "Problem": "Find q-two.", "Answer": 25, "Solution": "s"},
        ],
    )
    write_hf_dataset(
        hub_caches,
        a25.DATASET_PATH,
        a25.AIME2025_DATASET_REVISION,
        "test",
        [{"id": "0", "problem": "Find q-three.", "answer": "70"}],
    )
    fake_api.set_policy(
        answers({"q-one": "Work.\nANSWER: 204", "q-two": "Work.\nANSWER: 24", "q-three": "70"})
    )
    got = run(suite("hub_aime"), fake_api, tmp_path)
    assert set(got) == {"aime2024/2024-I-1", "aime2024/2024-I-2", "aime2025/0"}
    assert [got[i].score for i in sorted(got)] == [1.0, 0.0, 1.0]
    assert all(r.status == "scored" and r.kind == "standard" for r in got.values())
    assert all(r.suite == "hub_aime" and r.engine == "inspect" for r in got.values())


def test_math_level_5_keeps_level_5_and_scores_by_sympy(
    hub_caches: Path, fake_api: FakeAPI, fake_api_key: str, tmp_path: Path
) -> None:
    m = upstream("math.math")

    rows = [
        {"problem": "m-half: compute", "level": "Level 5", "type": "Algebra",
         "solution": "so \\boxed{\\frac{1}{2}}"},
        {"problem": "m-three: compute", "level": "Level 5", "type": "Geometry",
         "solution": "\\boxed{3}"},
        {"problem": "m-easy: compute", "level": "Level 1", "type": "Algebra",
         "solution": "\\boxed{1}"},
    ]  # fmt: skip
    write_hf_dataset(hub_caches, m.DATASET_PATH, m.MATH_DATASET_REVISION, "test", rows)
    # 0.5 is \frac{1}{2} for sympy; 4 is not 3
    fake_api.set_policy(answers({"m-half": "ANSWER: 0.5", "m-three": "ANSWER: 4"}))
    got = run(suite("hub_math_level_5"), fake_api, tmp_path)
    from inspect_evals.utils import create_stable_id

    half, three = (create_stable_id(r["problem"], prefix="math") for r in rows[:2])
    assert set(got) == {half, three}  # the level 1 problem is not in the suite
    assert (got[half].score, got[three].score) == (1.0, 0.0)
    assert all(r.status == "scored" for r in got.values())


def _gpqa_csv(path: Path) -> str:
    fields = ["Record ID", "Question", "Correct Answer", "Incorrect Answer 1",
              "Incorrect Answer 2", "Incorrect Answer 3", "High-level domain", "Subdomain"]  # fmt: skip
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="", encoding="utf-8") as fh:
        out = csv.DictWriter(fh, fieldnames=fields)
        out.writeheader()
        for i in range(3):
            out.writerow({
                "Record ID": f"rec{i}", "Question": f"g-question-{i}?",
                "Correct Answer": f"right-{i}", "Incorrect Answer 1": f"wrong-a-{i}",
                "Incorrect Answer 2": f"wrong-b-{i}", "Incorrect Answer 3": f"wrong-c-{i}",
                "High-level domain": "Physics", "Subdomain": "Optics and Acoustics",
            })  # fmt: skip
    return hashlib.sha256(path.read_bytes()).hexdigest()


def letter_of(text: str, wanted: str) -> str:
    """The letter inspect's multiple_choice template gave the choice `wanted`."""
    match = re.search(rf"^([A-D])\) {re.escape(wanted)}$", text, re.MULTILINE)
    assert match, text
    return match.group(1)


def test_gpqa_diamond_scores_the_final_letter(
    hub_caches: Path,
    fake_api: FakeAPI,
    fake_api_key: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    gpqa = upstream("gpqa.gpqa")

    # The one stand-in of this file: inspect_evals pins the real CSV's checksum, which no test
    # data can match, so the pinned path and checksum name the test's CSV instead.
    csv_path = tmp_path / "ie-cache" / "gpqa" / "gpqa_diamond.csv"
    monkeypatch.setattr(gpqa, "GPQA_DIAMOND_CACHE_PATH", csv_path)
    monkeypatch.setattr(gpqa, "GPQA_DIAMOND_DATASET_SHA256", _gpqa_csv(csv_path))

    def policy(conv: Conversation) -> Reply:
        text = conv.first_user_text()
        i = int(re.search(r"g-question-(\d)", text).group(1))  # type: ignore[union-attr]
        chosen = f"right-{i}" if i < 2 else f"wrong-a-{i}"
        return Reply(text=f"Reasoning.\nANSWER: {letter_of(text, chosen)}")

    fake_api.set_policy(policy)
    got = run(suite("hub_gpqa_diamond"), fake_api, tmp_path)
    assert {i: r.score for i, r in got.items()} == {"rec0": 1.0, "rec1": 1.0, "rec2": 0.0}


def test_gpqa_with_a_changed_file_is_unavailable_offline(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    gpqa = upstream("gpqa.gpqa")

    csv_path = tmp_path / "gpqa_diamond.csv"
    _gpqa_csv(csv_path)  # not the pinned file
    monkeypatch.setattr(gpqa, "GPQA_DIAMOND_CACHE_PATH", csv_path)
    with pytest.raises(HubDataUnavailable) as err:
        InspectRunner().sample_ids(suite("hub_gpqa_diamond"))
    assert "has another checksum" in str(err.value) and "offline" in str(err.value)
    assert "\n" not in str(err.value)


def test_mmlu_runs_zero_shot_cot(
    hub_caches: Path, fake_api: FakeAPI, fake_api_key: str, tmp_path: Path
) -> None:
    mmlu = upstream("mmlu.mmlu")

    rows = [
        {"question": f"u-question-{i}?", "subject": "anatomy",
         "choices": [f"c0-{i}", f"c1-{i}", f"c2-{i}", f"c3-{i}"], "answer": i % 4}
        for i in range(3)
    ]  # fmt: skip
    write_hf_dataset(hub_caches, "cais/mmlu", mmlu.MMLU_REVISION, "test", rows, config="all")

    def policy(conv: Conversation) -> Reply:
        text = conv.first_user_text()
        i = int(re.search(r"u-question-(\d)", text).group(1))  # type: ignore[union-attr]
        chosen = f"c{i % 4}-{i}" if i != 1 else f"c0-{i}"  # item 1 wrong on purpose
        return Reply(text=f"Thinking.\nANSWER: {letter_of(text, chosen)}")

    fake_api.set_policy(policy)
    got = run(suite("hub_mmlu"), fake_api, tmp_path)
    assert sorted(r.score for r in got.values()) == [0.0, 1.0, 1.0]


def test_hle_is_judged_by_the_pinned_judge_and_a_silent_judge_is_an_error(
    hub_caches: Path, fake_api: FakeAPI, fake_api_key: str, tmp_path: Path
) -> None:
    hle = upstream("hle.dataset")

    rows = [
        {"id": f"h{i}", "question": f"h-question-{i}", "image": "", "answer": f"ans{i}",
         "answer_type": "exactMatch", "rationale": "r", "raw_subject": "Physics",
         "category": "Physics", "author_name": "a"}
        for i in range(4)
    ]  # fmt: skip
    rows[3]["image"] = "data:image/png;base64,AAAA"  # multimodal: left out of the suite
    write_hf_dataset(hub_caches, hle.DATASET_PATH, hle.HLE_DATASET_REVISION, "test", rows)

    def policy(conv: Conversation) -> Reply:
        text = conv.first_user_text()
        judged = re.search(r"\[question\]: h-question-(\d)", text)
        if judged:  # the judge: compare the response's answer with the correct one
            i = int(judged.group(1))
            if i == 2:
                return Reply(text="I cannot tell.")  # no GRADE line: not scorable
            given = re.search(r"Answer: (\S+)", text.split("[correct_answer]:")[0])
            ok = given is not None and given.group(1) == f"ans{i}"
            return Reply(text=f"Compared.\nGRADE: {'C' if ok else 'I'}")
        i = int(re.search(r"h-question-(\d)", text).group(1))  # type: ignore[union-attr]
        answer = f"ans{i}" if i == 0 else "nope"
        return Reply(text=f"Explanation: e\nAnswer: {answer}\nConfidence: 80%")

    fake_api.set_policy(policy)
    got = run(suite("hub_hle"), fake_api, tmp_path)
    assert len(got) == 3  # the image question is not asked
    # the confidence (80) is not mixed into the score: right is 1, wrong is 0
    scored = sorted(r.score for r in got.values() if r.status == "scored")
    assert scored == [0.0, 1.0]
    errors = [r for r in got.values() if r.status == "error"]
    assert len(errors) == 1 and "verdict" in (errors[0].error or "")
    assert all(r.user_simulator == "fake-judge" for r in got.values())


def test_gapbench_run_stores_a_hub_suite_and_skips_one_without_data(
    hub_caches: Path, fake_api: FakeAPI, tmp_path: Path
) -> None:
    """The user's path, in a child process (datasets reads its cache settings at import):
    plan -> runner -> store for hub_aime, whose data is in the cache; hub_mmlu's is not, so
    the sweep says so in one line and goes on."""
    from harness.store import Store
    from tests.cli.conftest import gapbench_subprocess

    a24, a25 = upstream("aime2024.aime2024"), upstream("aime2025.aime2025")
    rows = [{"ID": f"2024-I-{i}", "Problem": f"Find p{i}.", "Answer": i, "Solution": "s"}
            for i in (1, 2, 3)]  # fmt: skip
    write_hf_dataset(hub_caches, a24.DATASET_PATH, a24.AIME2024_DATASET_REVISION, "train", rows)
    write_hf_dataset(
        hub_caches, a25.DATASET_PATH, a25.AIME2025_DATASET_REVISION, "test",
        [{"id": "9", "problem": "Find p9.", "answer": "9"}],
    )  # fmt: skip
    fake_api.set_policy(answers({"p1.": "ANSWER: 1", "p2.": "ANSWER: 5", "p3.": "ANSWER: 3"}))
    results = tmp_path / "results"
    done = gapbench_subprocess(
        "run", "--model", fake_api.openai_base_url, "--api-model", "fake-gpt",
        "--access", "open", "--release-date", "2026-01-15", "--api-key-env", "FAKE_KEY",
        "--suite", "hub_aime", "--suite", "hub_mmlu", "--limit", "3",
        "--results-dir", str(results),
        env={
            "FAKE_KEY": FAKE_API_KEY,
            "GAPBENCH_OFFLINE": "1",
            "HF_DATASETS_CACHE": str(hub_caches),
            "HF_HOME": str(hub_caches.parent),
            "XDG_CACHE_HOME": str(tmp_path / "xdg"),
            "GAPBENCH_CACHE_DIR": str(tmp_path / "gapbench-cache"),
        },
    )  # fmt: skip
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    assert "Traceback" not in output
    skip = [ln for ln in output.splitlines() if "hub_mmlu: Hugging Face dataset cais/mmlu" in ln]
    assert len(skip) == 1 and "offline" in skip[0], output
    df = Store(results).samples()
    assert sorted(df["sample_id"]) == [
        "aime2024/2024-I-1",
        "aime2024/2024-I-2",
        "aime2024/2024-I-3",
    ]
    scores = dict(zip(df["sample_id"], df["score"], strict=True))
    assert scores == {"aime2024/2024-I-1": 1.0, "aime2024/2024-I-2": 0.0, "aime2024/2024-I-3": 1.0}
    assert set(df["suite"]) == {"hub_aime"} and set(df["access"]) == {"open"}
