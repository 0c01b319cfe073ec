"""README's findings paragraph and docs/epoch-gap.md are generated from the data: the
committed text must equal what the shipped Epoch dump gives today."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.analysis import publish_docs
from harness.config import BUNDLED_EPOCH_DUMP

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def published() -> publish_docs.Published:
    return publish_docs.compute(BUNDLED_EPOCH_DUMP)


def test_docs_epoch_gap_is_what_the_data_give(published):
    committed = (ROOT / "docs" / "epoch-gap.md").read_text()
    assert committed == publish_docs.render_doc(published), (
        "docs/epoch-gap.md drifted from the data: run python -m harness.analysis.publish_docs"
    )


def test_readme_findings_are_what_the_data_give(published):
    readme = (ROOT / "README.md").read_text()
    block = readme.split(publish_docs.README_START)[1].split(publish_docs.README_END)[0]
    assert block.strip() == publish_docs.render_readme_block(published).strip(), (
        "README's findings paragraph drifted from the data: run "
        "python -m harness.analysis.publish_docs"
    )


def test_docs_lead_with_the_verdict_and_the_primary_d(published):
    a = published.answer
    doc = publish_docs.render_doc(published)
    lead = doc.split("## The primary specification")[0]
    assert f"## Verdict: {a.verdict}" in lead and a.sentence in lead
    # the primary D with its CI, the curve summary and the published figures as citations
    assert "D = " in a.sentence and "CI" in a.sentence and "specifications" in a.sentence
    assert "*published*" in doc and "Ihle 2026" in doc
    readme = publish_docs.render_readme_block(published)
    assert f"**{a.verdict}**" in readme


def test_a_changed_number_is_caught(published):
    # the check is not vacuous: a different primary D renders a different text
    import dataclasses

    a = published.answer
    moved = dataclasses.replace(a, sentence=a.sentence.replace("D = ", "D = 1"))
    other = dataclasses.replace(published, answer=moved)
    assert publish_docs.render_doc(other) != publish_docs.render_doc(published)
