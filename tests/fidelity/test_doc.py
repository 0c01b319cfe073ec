"""docs/fidelity.md and README's fidelity sentence are what the committed results give
(`python -m bench.fidelity doc`), and their numbers and verdicts follow the data."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.fidelity import doc, ladder_doc


def test_doc_and_readme_are_what_the_results_give():
    results, fixed, study = doc.load_agreement(), doc.load_fixed(), doc.load_ladder()
    want = doc.render_doc(results, fixed, study)
    assert doc.DOC.read_text(encoding="utf-8") == want, (
        "docs/fidelity.md drifted from bench/fidelity/results: run python -m bench.fidelity doc"
    )
    readme = doc.README.read_text(encoding="utf-8")
    sentence = doc.readme_sentence(results, study)
    assert doc.with_readme_block(readme, sentence) == readme, (
        "README's fidelity sentence drifted: run python -m bench.fidelity doc"
    )
    assert sentence in readme


def result(n: int, agree: int, statuses: tuple[str, ...] = ()) -> doc.AgreementResult:
    return doc.AgreementResult.model_validate(
        {
            "suite": "toy",
            "suite_version": "3",
            "official": {"name": "toy-eval", "version": "1.0", "entry": "toy.check"},
            "n": n,
            "agree": agree,
            "seed": 1,
            "commit": "abc1234",
            "generated_by": "python -m bench.fidelity toy",
            "by_perturbation": {
                "gold": {"n": n, "agree": agree, "gapbench_mean": 0.9, "official_mean": 0.95}
            },
            "disagreements": [
                {
                    "id": f"t{i}",
                    "perturbation": "gold",
                    "gapbench": 1.0,
                    "official": 0.0,
                    "cause": "a | pipe in the cause",
                    "status": s,
                    "evidence": "line 12",
                }
                for i, s in enumerate(statuses)
            ],
        }
    )


def test_agreement_numbers_follow_the_data():
    one = doc.render_doc([result(200, 199, ("open",))], [], None)
    assert "the scores agree on 199 of 200 trajectories (99.5%). Disagreements: 1 open" in one
    assert "a \\| pipe in the cause" in one  # free text cannot break the table
    two = doc.render_doc([result(200, 197, ("open", "upstream-defect", "open"))], [], None)
    assert "197 of 200 trajectories (98.5%). Disagreements: 2 open" in two
    assert "1 documented as defects of the official evaluator" in two
    sentence = doc.readme_sentence([result(200, 197, ("open", "upstream-defect", "open"))], None)
    assert "197 of 200 trajectories (98.5%; of the other 3, 1 is documented" in sentence
    assert "and 2 are open)" in sentence
    # a percentage never rounds a disagreement away, nor an agreement to nothing
    assert (doc.pct(199_999, 200_000), doc.pct(200, 200), doc.pct(1, 100_000)) == (
        ">99.9%",
        "100.0%",
        "<0.1%",
    )
    fixed = [doc.FixedEntry(suite="toy", cause="dropped a call", trajectories=7, commit="def5678")]
    assert "| `toy` | dropped a call | 7 | `def5678` |" in doc.render_doc([], fixed, None)


def test_bad_results_file_is_one_line_naming_file_and_field(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
):
    (tmp_path / "toy.json").write_text('{"suite": "toy", "n": 3}', encoding="utf-8")
    monkeypatch.setattr(doc, "RESULTS", tmp_path)
    before = doc.DOC.read_text(encoding="utf-8")
    assert doc.main(check=False) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "toy.json" in err and "suite_version" in err
    assert doc.DOC.read_text(encoding="utf-8") == before  # nothing written


def _study() -> tuple[ladder_doc.HorizonStudy, ladder_doc.PowerStudy]:
    study = doc.load_ladder()
    assert study is not None, "bench/fidelity/results/ladder/*.json are committed"
    return study


def test_ladder_verdicts_follow_the_coverage():
    h, pw = _study()
    key = f"isotonic@{h.items_per_rung}"

    def with_coverage(c: float) -> ladder_doc.HorizonStudy:
        rows = {
            p: r.model_copy(update={"coverage": c}) if r.inside_rungs else r
            for p, r in h.simulated[key].items()
        }
        return h.model_copy(update={"simulated": {**h.simulated, key: rows}})

    inside = "\n".join(ladder_doc.section(with_coverage(0.95), pw, doc._table))
    low = "\n".join(ladder_doc.section(with_coverage(0.90), pw, doc._table))
    assert "held it in 95.0% to 95.0% of replicates: inside the aim" in inside
    assert "held it in 90.0% to 90.0% of replicates: outside the aim" in low
    # the real-path check decides whether the simulated replicates stand for it
    real = h.real_path.model_copy(update={"equal_to_prediction": h.real_path.compared - 1})
    broken = "\n".join(ladder_doc.section(h.model_copy(update={"real_path": real}), pw, doc._table))
    assert "do not stand for the real path" in broken
    assert "do not stand for the real path" not in "\n".join(ladder_doc.section(h, pw, doc._table))


def test_a_horizon_beyond_the_rungs_is_reported_as_a_bound():
    h, pw = _study()
    text = "\n".join(ladder_doc.section(h, pw, doc._table))
    beyond = [r for r in h.simulated[f"isotonic@{h.items_per_rung}"].values() if not r.inside_rungs]
    assert beyond and all(r.true_h50 > max(h.rungs) for r in beyond)
    assert f"the right answer is a bound. {beyond[0].censored_above} of" in text


def test_runner_refuses_an_unknown_suite_in_one_line(capsys: pytest.CaptureFixture[str]):
    from bench.fidelity.__main__ import main

    assert main(["no_such_suite"]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "no_such_suite" in err and "ladder" in err
    assert main(["doc", "--n", "0"]) == 2
