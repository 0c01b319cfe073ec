"""A hostile results folder: everything issue 18 tried, and more, in one store.

Written the way a colleague's (or an attacker's) store would arrive: rows and run records
through the store's own API (so its write-time masking runs, as for any store gapbench
writes), raw files and links put in place by hand (a store is a folder anyone can edit), and
an lm-eval output with hostile names brought in by the importer.

Payloads:
- paths: run records whose raw_path is absolute (a folder holding an id_rsa), climbs out with
  '..', is a symbolic link out of raw/, a link loop, a fifo; the older layout built from a
  sweep/suite/model that climb out; a deployment id that climbs out (server logs);
- raw file types: .html, .HTML, .htm, .xhtml, .svg, .js, .json.html, .html.json, a fake .eval
  (HTML inside), a link to a secret named like a log, next to real logs (.eval zip, lm-eval
  JSON/JSONL, a server log);
- names: a bidirectional override ("gnp<RLO>exe.png"), zero-width characters, tag characters,
  a model id of 1 MB, '<script>' and 'javascript:' as ids, formula cells (=, +, -, @, tab);
- text: HTML and script in every transcript field, template syntax, control characters;
- secrets: an upstream that echoes the API key into errors, transcripts and tracebacks (a
  shaped key and a plain one from a *_API_KEY variable: both must be masked where written),
  and one key planted straight into a raw log (bypassing every writer: publish must refuse).
"""

from __future__ import annotations

import json
import os
import zipfile
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from harness._types import (
    DeploymentFacts,
    RunRecord,
    SampleRecord,
    ToolCall,
    Transcript,
    TranscriptMessage,
)
from harness.store import Store

# A key an upstream echoes back: must end up in no file at all (masked where it is written).
CANARY = "sk-proj-CANARYk3y0123456789abcdefXYZ"
PLAIN_CANARY_ENV = "HOSTILE_GATEWAY_API_KEY"
PLAIN_CANARY = "gwCanary7f3a9c1e55d04b2a"  # no key shape: found by its value only
# A key written straight into a raw log by hand: `publish` must refuse the store.
PLANTED = "sk-ant-PLANTEDkey0123456789abcdef"
SECRET_TEXT = "-----BEGIN OPENSSH PRIVATE KEY----- hostile-secret-canary"

PWN = "PWNED"
HTML_PAYLOADS = [
    f"<script>document.title='{PWN}'</script>",
    f"<img src=x onerror=\"document.title='{PWN}'\">",
    f'<a href="javascript:document.title=\'{PWN}\'" id="injected">click</a>',
    f"<svg onload=\"document.title='{PWN}'\"><circle r=9></svg>",
    f"<iframe srcdoc=\"<script>parent.document.title='{PWN}'</script>\"></iframe>",
    f'<meta http-equiv="refresh" content="0;url=javascript:document.title=\'{PWN}\'">',
    f"\"'><script>document.title='{PWN}'</script>",
    f"</textarea></pre></style><script>document.title='{PWN}'</script>",
    "{{ 7*7 }} {% raw %} ${7*7}",
    '<base href="https://evil.example/"><link rel=stylesheet href=https://evil.example/x.css>',
    "data:text/html,<script>alert(1)</script> javascript:alert(1)",
]
CONTROL = "bell\x07 esc\x1b[31m nul\x00 ls\u2028 ps\u2029 del\x7f"
BIDI = "gnp\u202eexe.png"  # shows as "gnpgnp.exe" reversed: "exe.png"
ZERO_WIDTH = "gpt\u200b-4o\u200d\ufeff"
TAGS = "tag\U000e0041\U000e0042"
FORMULAS = ['=HYPERLINK("http://evil.example","click")', "+1+1", "-2+3", "@SUM(1)", "\t=1"]
HUGE = "m" * 1_000_000  # a 1 MB model id

RAW_OK = ("run.eval", f"results_{'2026-11-01T12-00-00'}.json", "samples_x.jsonl")
RAW_BAD = (
    "pwn.html",
    "pwn.HTML",
    "pwn.htm",
    "pwn.xhtml",
    "pwn.svg",
    "pwn.js",
    "pwn.json.html",
    "fake.eval",
)


@dataclass(frozen=True)
class Hostile:
    results: Path
    secret_dir: Path  # outside the store: must never be copied anywhere
    runs: dict[str, str]  # run id -> what it tries
    bad_raw_runs: tuple[str, ...]  # runs whose raw path leads out: warned, listed by --check


def _text(i: int) -> str:
    return " | ".join([HTML_PAYLOADS[i % len(HTML_PAYLOADS)], CONTROL, BIDI, ZERO_WIDTH, TAGS])


def _echo() -> str:
    """An upstream's 401 body that repeats the key (both kinds)."""
    return f"401 Unauthorized: invalid api key {CANARY} (x-api-key: {PLAIN_CANARY})"


def _transcript(i: int) -> Transcript:
    return Transcript(
        messages=(
            TranscriptMessage("system", "policy " + _text(i)),
            TranscriptMessage("user", _text(i + 1) + " " + FORMULAS[i % len(FORMULAS)]),
            TranscriptMessage(
                "assistant",
                _text(i + 2),
                tool_calls=(ToolCall(f"c{i}", "lookup<script>", json.dumps({"k": _text(i)})),),
            ),
            TranscriptMessage(
                "tool", _text(i + 3) + " " + _echo(), tool_call_id=f"c{i}", function="lookup"
            ),
            TranscriptMessage("assistant", "Authorization: Bearer " + CANARY[3:] + " " + _text(i)),
        ),
        prompt=_text(i + 4),
        output=_text(i + 5),
        target=_text(i + 6),
        explanation=_text(i + 7) + " " + _echo(),
        answer=FORMULAS[0],
        metadata=json.dumps({"note": _text(i + 8), "key": PLAIN_CANARY}),
        traceback=f"Traceback (most recent call last):\n  openai.AuthenticationError: {_echo()}",
    )


def _records(
    run_id: str, model: str, access: str, suite: str, kind: str, dep: str, sweep: str
) -> list[SampleRecord]:
    started = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
    # the first errors; the others are scored (five at least, so that scores and figures exist)
    sample_ids = [
        f"s{BIDI}",
        f"{ZERO_WIDTH}-{FORMULAS[0]}",
        HTML_PAYLOADS[0],
        "p3",
        "p4",
        "p5",
        "p6",
    ]
    out = []
    for i, sid in enumerate(sample_ids):
        errored = i == 0
        out.append(
            SampleRecord(
                run_id=run_id,
                sample_key=f"{run_id}-{i}",
                sweep_id=sweep,
                model_id=model,
                access=access,  # type: ignore[arg-type]
                release_date=date(2025, 1 + i, 1) if access == "closed" else date(2025, 6, 1),
                suite=suite,
                suite_version="1",
                kind=kind,  # type: ignore[arg-type]
                task=suite,
                sample_id=sid,
                epoch=1,
                status="error" if errored else "scored",
                engine="inspect" if kind == "agentic" else "lm_eval",
                engine_version="0.3",
                harness_version="0.1",
                facts=DeploymentFacts(
                    deployment_id=dep, provider="openai", server=FORMULAS[1] + BIDI
                ),
                h=i + 1,
                score=None if errored else float(i % 2),
                success=None if errored else bool(i % 2),
                error=f"{FORMULAS[i % len(FORMULAS)]} {_echo()} {HTML_PAYLOADS[1]}"
                if errored
                else None,
                input_tokens=10,
                output_tokens=5,
                cost_usd=-0.5 if i == 2 else 0.001,  # a negative number is data, not a formula
                started_at=started + timedelta(minutes=i),
                finished_at=started + timedelta(minutes=i, seconds=3),
                model_snapshot=FORMULAS[2],
                transcript=_transcript(i),
            )
        )
    return out


def _run(
    run_id: str, model: str, dep: str, suite: str, kind: str, sweep: str, raw: str | None
) -> RunRecord:
    started = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
    return RunRecord(
        run_id=run_id,
        attempt_id=f"{run_id}-a",
        sweep_id=sweep,
        model_id=model,
        deployment_id=dep,
        suite=suite,
        suite_version="1",
        engine="inspect" if kind == "agentic" else "lm_eval",
        engine_version="0.3",
        spec_json=json.dumps({"note": HTML_PAYLOADS[0]}),
        status="complete",
        n_planned=7,
        n_scored=6,
        n_error=1,
        n_limit=0,
        started_at=started,
        harness_version="0.1",
        message=_echo() + " " + HTML_PAYLOADS[2],
        finished_at=started + timedelta(minutes=5),
        raw_path=raw,
    )


def _raw_files(folder: Path, secret: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(folder / "run.eval", "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("header.json", json.dumps({"note": HTML_PAYLOADS[0]}))
    (folder / RAW_OK[1]).write_text(json.dumps({"results": {}, "note": HTML_PAYLOADS[0]}))
    # a key written straight into a raw log, past every writer
    (folder / RAW_OK[2]).write_text(json.dumps({"error": f"bad key {PLANTED}"}) + "\n")
    for name in RAW_BAD:
        (folder / name).write_text(
            f"<html><title>{PWN}</title><script>document.title='{PWN}'</script>"
        )
    (folder / "pwn.html.json").write_text(f"<html><title>{PWN}</title><script>alert(1)</script>")
    (folder / "id_rsa.json").symlink_to(secret / "id_rsa")  # a link named like a log
    (folder / "dir-link").symlink_to(secret)


def build(tmp: Path) -> Hostile:
    """The hostile results folder under tmp/results (and the secret beside it)."""
    secret = tmp / "secret"
    secret.mkdir()
    (secret / "id_rsa").write_text(SECRET_TEXT)
    (secret / "results_x.json").write_text(json.dumps({"results": {}, "s": SECRET_TEXT}))
    results = tmp / "results"
    store = Store(results)
    raw = results / "raw"
    _raw_files(raw / "demo" / "run-bidi", secret)
    (raw / "link-out").symlink_to(secret)
    (raw / "loop").symlink_to(raw / "loop")
    os.mkfifo(raw / "fifo")
    logs = raw / "server-logs"
    logs.mkdir()
    (logs / "dep-a-8080.log").write_text(f"server started {HTML_PAYLOADS[0]}\n")
    runs = {
        # run id: (model, access, suite, kind, deployment, sweep, raw_path, what it tries)
        "run-bidi": (BIDI, "closed", "ladder_agentic", "agentic", "dep-a", "demo", "raw/demo/run-bidi",
                     "bidi names; every raw file type next to real logs"),
        "run-huge": (HUGE, "open", "ladder_agentic", "agentic", "dep-b", "demo", str(secret),
                     "a 1 MB model id; raw_path absolute"),
        "run-formula": (FORMULAS[0], "closed", f"suite{ZERO_WIDTH}", "standard", "dep-c", "demo",
                        "raw/../../secret", "formula model id; raw_path with '..'"),
        "run-js": ("javascript:alert(1)", "open", "ladder_standard", "standard", "dep-d", "demo",
                   "raw/link-out", "raw_path a link out of raw/"),
        "run-script": (HTML_PAYLOADS[0], "open", "=1+1", "standard", "dep-e", "demo", "raw/loop",
                       "script model id; raw_path a link loop"),
        "run-fifo": ("open-model", "open", "ladder_agentic", "agentic",
                     "../../../../secret/id_rsa", "demo", "raw/fifo",
                     "raw_path a fifo; deployment id climbing out"),
        "run-layout": ("secret", "closed", "..", "standard", "dep-g", "../..", None,
                       "no raw_path: the older layout from names that climb out"),
    }  # fmt: skip
    for run_id, (model, access, suite, kind, dep, sweep, raw_path, _) in runs.items():
        store.append_samples(_records(run_id, model, access, suite, kind, dep, sweep))
        store.append_run(_run(run_id, model, dep, suite, kind, sweep, raw_path))
    return Hostile(
        results=results,
        secret_dir=secret,
        runs={k: v[-1] for k, v in runs.items()},
        bad_raw_runs=("run-huge", "run-formula", "run-js", "run-script", "run-fifo", "run-layout"),
    )


def lm_eval_output(folder: Path) -> Path:
    """lm-eval output whose task and model names are hostile (imported by the test)."""
    folder.mkdir(parents=True)
    task = f"mmlu/{BIDI} {FORMULAS[3]}"
    metric = "exact_match,strict-match"
    results = {
        "results": {task: {"alias": HTML_PAYLOADS[1], metric: 0.5, "exact_match_stderr,strict-match": 0.1}},
        "configs": {task: {"metric_list": [{"metric": "exact_match"}]}},
        "versions": {task: 1},
        "model_name": f"org/{ZERO_WIDTH} {HTML_PAYLOADS[2]}",
        "lm_eval_version": "0.4.13",
    }  # fmt: skip
    (folder / "results_2026-11-01T12-00-00.json").write_text(json.dumps(results))
    return folder
