"""The horizon ladder: deterministic data, paired forms, gold answers pass the scorer."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from harness.config import REPO_ROOT
from harness.suites import ladder
from harness.suites.registry import load_suite
from harness.suites.scorers import StandardDoc, get_scorer, load_docs
from harness.suites.scorers.ladder import extract_code, score_answer

DATA = REPO_ROOT / "tasks" / "ladder" / "data"


def _agentic_rows() -> list[dict]:
    return [json.loads(line) for line in (DATA / "agentic.jsonl").read_text().splitlines()]


def test_committed_data_regenerates_byte_for_byte(tmp_path: Path) -> None:
    ladder.write(tmp_path)
    for name in ("standard.jsonl", "agentic.jsonl"):
        assert (tmp_path / name).read_bytes() == (DATA / name).read_bytes(), name


def test_entry_point_writes_files(tmp_path: Path) -> None:
    assert ladder.main([str(tmp_path)]) == 0
    assert (tmp_path / "standard.jsonl").read_bytes() == (DATA / "standard.jsonl").read_bytes()


def test_same_seed_same_items_other_seed_other_items() -> None:
    assert ladder.make_items() == ladder.make_items()
    assert ladder.make_item(8, 3, seed=1) != ladder.make_item(8, 3, seed=2)


def test_ids_sizes_and_order() -> None:
    docs = load_docs(DATA / "standard.jsonl")
    assert len(docs) == len(ladder.HORIZONS) * ladder.ITEMS_PER_H == 180
    assert len({d.id for d in docs}) == 180
    assert docs[0].id == "ladder-h01-000" and docs[5].id == "ladder-h32-000"
    assert docs[6].id == "ladder-h01-001"
    # any prefix of one round covers every horizon
    assert [d.h for d in docs[:6]] == list(ladder.HORIZONS)
    assert all(d.id == f"ladder-h{d.h:02d}-{int(d.id[-3:]):03d}" for d in docs)


@pytest.mark.parametrize("item", ladder.make_items(), ids=lambda it: it.id)
def test_chain_needs_exactly_h_lookups(item: ladder.LadderItem) -> None:
    looked, code = ladder.follow(item.table, item.start)
    assert len(looked) == item.h
    assert tuple(looked) == item.chain
    assert code == item.target
    # distractors: other codes exist, and the table is larger than the chain
    codes = {v for v in item.table.values() if not v.islower()}
    assert len(codes) == 4 and item.target in codes
    assert len(item.entries) >= item.h + 6
    assert len(item.table) == len(item.entries)  # keys unique


def test_both_forms_share_answers_and_tables() -> None:
    standard = {d.id: d for d in load_docs(DATA / "standard.jsonl")}
    agentic = _agentic_rows()
    assert [r["id"] for r in agentic] == list(standard)
    for row in agentic:
        doc = standard[row["id"]]
        assert row["target"] == doc.target and row["h"] == doc.h
        # every table entry (chain and distractors) is in the standard prompt
        for key, result in row["table"]:
            assert f"\n{key} -> {result}\n" in doc.prompt
        # the agentic prompt does not leak the table
        assert row["target"] not in row["prompt"]
        assert row["metadata"]["start"] in row["prompt"]


def test_gold_answers_pass_standard_form_at_every_h() -> None:
    scorer = get_scorer("ladder_answer")
    hs = set()
    for doc in load_docs(DATA / "standard.jsonl"):
        table = dict(
            line.split(" -> ")
            for line in doc.prompt.split("Table:\n")[1].split("\n\n")[0].splitlines()
        )
        _, code = ladder.follow(table, doc.metadata["start"])
        assert scorer(f"Following the chain...\nANSWER: {code}", doc).success
        hs.add(doc.h)
    assert hs == set(ladder.HORIZONS)


def test_gold_tool_calls_pass_agentic_form_at_every_h() -> None:
    # Replay the gold calls through the tool function itself, each call's key being the
    # previous call's result, and score the final reply with the same rule.
    for row in _agentic_rows():
        table = {k: v for k, v in row["table"]}
        key, calls = row["metadata"]["start"], 0
        while True:
            result = ladder.lookup(table, f" `{key}` ")
            calls += 1
            if result.islower():
                key = result
                continue
            break
        assert calls == row["h"]
        doc = StandardDoc(id=row["id"], prompt=row["prompt"], target=row["target"], h=row["h"])
        assert score_answer(f"The final code is {result}.", doc).success


def test_lookup_unknown_key() -> None:
    assert ladder.lookup({"abc": "XY-0001"}, "nope") == "no entry for key 'nope'"
    assert ladder.lookup({"abc": "XY-0001"}, ' "ABC" ') == "XY-0001"


DOC = StandardDoc(id="x", prompt="", target="QT-5820")


@pytest.mark.parametrize(
    ("output", "expected", "ok"),
    [
        ("ANSWER: QT-5820", "QT-5820", True),
        ("answer: qt-5820", "QT-5820", True),
        ("**Answer:** `QT-5820`", "QT-5820", True),
        ("The final answer is QT - 5820.", "QT-5820", True),
        ("I first saw AB-1111, then followed on to QT-5820", "QT-5820", True),
        # the marked answer wins over a code mentioned after it
        ("ANSWER: QT-5820\n(not AB-1111)", "QT-5820", True),
        ("ANSWER: AB-1111\nbut maybe QT-5820", "AB-1111", False),
        # a later marker overrides an earlier one
        ("Answer: AB-1111. Wait, re-checking. Final answer: QT-5820", "QT-5820", True),
        ("QT-58201", None, False),  # not a code: five digits
        ("XQT-5820", None, False),  # glued to a letter
        ("", None, False),
        ("I could not find it.", None, False),
    ],
)
def test_scorer_extraction(output: str, expected: str | None, ok: bool) -> None:
    assert extract_code(output) == expected
    score = score_answer(output, DOC)
    assert score.success is ok and score.value == (1.0 if ok else 0.0)
    if expected is None:
        assert score.explanation == "no code in reply"


def test_suite_yamls_load_and_pair() -> None:
    std = load_suite(REPO_ROOT / "tasks" / "ladder" / "standard" / "suite.yaml")
    agt = load_suite(REPO_ROOT / "tasks" / "ladder" / "agentic" / "suite.yaml")
    assert (std.name, std.kind, std.engine, std.scorer) == (
        "ladder_standard",
        "standard",
        "lm_eval",
        "ladder_answer",
    )
    assert (agt.name, agt.kind, agt.engine, agt.task) == (
        "ladder_agentic",
        "agentic",
        "inspect",
        "ladder_agentic",
    )
    assert std.pair == agt.name and agt.pair == std.name
    assert std.size == agt.size == 180
    ids = {d.id: d for d in load_docs(std.directory / str(std.data))}
    assert agt.data is not None and (agt.directory / agt.data).is_file()
    for suite in (std, agt):
        assert suite.smoke and all(sid in ids and (ids[sid].h or 0) <= 2 for sid in suite.smoke)
    assert agt.limits.message_limit and agt.limits.message_limit >= 2 * 32 + 3
    assert agt.limits.time_limit_s and agt.limits.token_limit
