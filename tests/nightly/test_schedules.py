"""The shipped schedules (schedules/): each calls an existing gapbench command with options
gapbench's own parser accepts, on a valid schedule; systemd units pass systemd-analyze."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from harness.api import resolve_sweep_path
from harness.cli import build_parser
from harness.config import load_settings

REPO = Path(__file__).resolve().parents[2]
SCHEDULES = REPO / "schedules"
CRONTAB = SCHEDULES / "cron" / "gapbench-nightly.crontab"
SERVICE = SCHEDULES / "systemd" / "gapbench-nightly.service"
TIMER = SCHEDULES / "systemd" / "gapbench-nightly.timer"
WORKFLOW = SCHEDULES / "github-actions" / "gapbench-nightly.yml"

_REDIRECT = re.compile(r"^\d?>>?|^<|^\d?>&\d$")
_CRON_RANGES = [(0, 59), (0, 23), (1, 31), (1, 12), (0, 7)]


def gapbench_commands(shell: str) -> list[list[str]]:
    """The argv (after the program) of every gapbench call in a shell command line."""
    out = []
    for part in re.split(r"&&|\|\||;|\|", shell):
        try:
            tokens = shlex.split(part, comments=True)
        except ValueError:
            continue
        while tokens and re.match(r"^\w+=", tokens[0]):  # VAR=value before the program
            tokens.pop(0)
        tokens = _after_flock(tokens)
        if tokens and Path(tokens[0]).name == "gapbench":
            rest = tokens[1:]
        elif (
            tokens
            and Path(tokens[0]).name.startswith("python")
            and tokens[1:3]
            == [
                "-m",
                "harness.cli",
            ]
        ):
            rest = tokens[3:]
        else:
            continue
        cut = next((j for j, t in enumerate(rest) if _REDIRECT.match(t)), len(rest))
        out.append(rest[:cut])
    return out


_FLOCK_VALUED = {"-w", "--timeout", "-E", "--conflict-exit-code"}


def _after_flock(tokens: list[str]) -> list[str]:
    """`flock [options] LOCKFILE COMMAND...` -> COMMAND... (tokens as they are otherwise)."""
    if not tokens or Path(tokens[0]).name != "flock":
        return tokens
    rest = tokens[1:]
    while rest and rest[0].startswith("-"):
        rest = rest[2:] if rest[0] in _FLOCK_VALUED else rest[1:]
    return rest[1:]  # the lock file


def check_cli(argv: list[str]) -> None:
    """argv parses with gapbench's parser, names a real command, and a sweep that exists."""
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as exc:  # argparse's error: the schedule would exit 2 every night
        pytest.fail(f"gapbench {' '.join(argv)}: rejected by the parser (exit {exc.code})")
    assert args.command in {"nightly", "publish"}, argv
    if args.command == "nightly":
        assert resolve_sweep_path(args.sweep, load_settings(REPO)).exists()


def check_cron_fields(fields: list[str]) -> None:
    assert len(fields) == 5, fields
    for field, (low, high) in zip(fields, _CRON_RANGES, strict=True):
        for item in field.split(","):
            base, _, step = item.partition("/")
            assert not step or (step.isdigit() and int(step) > 0), field
            if base == "*":
                continue
            lo, _, hi = base.partition("-")
            for v in (lo, hi or lo):
                assert v.isdigit() and low <= int(v) <= high, f"cron field {field!r}"


def test_helpers_reject_what_they_should() -> None:
    assert gapbench_commands(
        "cd /x && .venv/bin/gapbench nightly demo --json a.json >> l 2>&1"
    ) == [["nightly", "demo", "--json", "a.json"]]
    assert gapbench_commands("flock -n -w 5 /l .venv/bin/gapbench nightly demo") == [
        ["nightly", "demo"]
    ]
    assert gapbench_commands("cd /opt/gapbench; python3 -m harness.cli publish demo --to /srv") == [
        ["publish", "demo", "--to", "/srv"]
    ]
    with pytest.raises(pytest.fail.Exception):
        check_cli(["nightly", "demo", "--bogus"])
    with pytest.raises(pytest.fail.Exception):
        check_cli(["nightly", "demo", "--night", "2026-02-30"])
    with pytest.raises(AssertionError):
        check_cron_fields(["61", "2", "*", "*", "*"])
    with pytest.raises(AssertionError):
        check_cron_fields(["30", "2", "*", "*"])


def test_crontab_line_is_valid_and_calls_nightly() -> None:
    entries = [
        ln
        for ln in CRONTAB.read_text().splitlines()
        if ln.strip() and not ln.lstrip().startswith("#") and not re.match(r"^\w+=", ln)
    ]
    assert len(entries) == 1
    fields = entries[0].split(None, 5)
    check_cron_fields(fields[:5])
    calls = gapbench_commands(fields[5])
    assert [c[0] for c in calls] == ["nightly"]
    for argv in calls:
        check_cli(argv)
    assert "--json" in calls[0]
    # As its comment says: flock -n around gapbench (a slow night never overlaps the next),
    # and one summary per night.
    words = shlex.split(fields[5].split("&&")[-1], comments=True)
    assert words[:2] == ["flock", "-n"] and Path(words[3]).name == "gapbench", words
    assert "{night}" in calls[0][calls[0].index("--json") + 1]


def _unit(path: Path) -> dict[str, dict[str, str]]:
    sections: dict[str, dict[str, str]] = {}
    current = ""
    for line in path.read_text().splitlines():
        line = line.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("["):
            current = line.strip("[]")
            sections[current] = {}
            continue
        key, _, value = line.partition("=")
        sections[current][key.strip()] = value.strip()
    return sections


def test_systemd_units_call_nightly_and_treat_nothing_new_as_success() -> None:
    service, timer = _unit(SERVICE), _unit(TIMER)
    exec_start = service["Service"]["ExecStart"]
    calls = gapbench_commands(exec_start)
    assert [c[0] for c in calls] == ["nightly"]
    check_cli(calls[0])
    assert Path(shlex.split(exec_start)[0]).is_absolute()  # systemd needs an absolute path
    assert service["Service"]["SuccessExitStatus"] == "6"  # NOTHING_NEW is not a failure
    assert timer["Timer"]["Unit"] == SERVICE.name
    assert timer["Timer"]["OnCalendar"]


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze not installed")
def test_systemd_units_pass_systemd_analyze_verify(tmp_path: Path) -> None:
    # verify checks that ExecStart's program exists: point it at this checkout's gapbench.
    exe = Path(sys.executable).parent / "gapbench"
    text = SERVICE.read_text()
    text = re.sub(r"^ExecStart=\S+", f"ExecStart={exe}", text, flags=re.M)
    text = re.sub(r"^WorkingDirectory=.*$", f"WorkingDirectory={REPO}", text, flags=re.M)
    (tmp_path / SERVICE.name).write_text(text)
    shutil.copy(TIMER, tmp_path / TIMER.name)
    done = subprocess.run(
        ["systemd-analyze", "verify", str(tmp_path / SERVICE.name), str(tmp_path / TIMER.name)],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "SYSTEMD_LOG_LEVEL": "warning"},
    )
    assert done.returncode == 0 and not done.stderr.strip(), done.stderr
    cal = subprocess.run(
        ["systemd-analyze", "calendar", _unit(TIMER)["Timer"]["OnCalendar"]],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert cal.returncode == 0, cal.stderr


def test_github_actions_workflow_is_scheduled_and_calls_gapbench() -> None:
    wf = yaml.safe_load(WORKFLOW.read_text())
    on = wf.get("on", wf.get(True))  # YAML 1.1 reads a bare `on` key as True
    crons = [s["cron"] for s in on["schedule"]]
    assert crons
    for cron in crons:
        check_cron_fields(cron.split())
    calls = []
    for job in wf["jobs"].values():
        for step in job["steps"]:
            for line in str(step.get("run", "")).splitlines():
                calls.extend(gapbench_commands(line))
    assert [c[0] for c in calls] == ["nightly", "publish"]
    for argv in calls:
        check_cli(argv)
    # Every night's rows and summary are kept, whatever the night's outcome: the store is
    # saved (not only when the job succeeds, as actions/cache's post step does), the
    # summary uploaded, both `if: always()`, and the summary is dated.
    steps = [step for job in wf["jobs"].values() for step in job["steps"]]
    save = [st for st in steps if str(st.get("uses", "")).startswith("actions/cache/save")]
    keep = [st for st in steps if str(st.get("uses", "")).startswith("actions/upload-artifact")]
    assert save and keep and all(st.get("if") == "always()" for st in save + keep)
    assert not any(str(st.get("uses", "")).startswith("actions/cache@") for st in steps)
    assert "{night}" in str(calls[0])
    # credentials only from secrets, never literal
    text = WORKFLOW.read_text()
    assert "secrets.OPENAI_API_KEY" in text and not re.search(r"sk-[A-Za-z0-9]{8,}", text)


def test_a_bad_option_on_a_schedule_line_is_one_line_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from harness.cli import main

    fields = next(
        ln
        for ln in CRONTAB.read_text().splitlines()
        if ln.strip() and not ln.startswith("#") and not re.match(r"^\w+=", ln)
    ).split(None, 5)
    # The schedule's own paths point into this test's folder (nothing may run anywhere else).
    argv = [a.replace("/var/lib/gapbench", str(tmp_path)) for a in gapbench_commands(fields[5])[0]]
    monkeypatch.chdir(tmp_path)
    for bad in (
        ["--wait-lock", "-5"],
        ["--night", "2026-02-30"],
        ["--budget", "nan"],
        ["--json", "/proc/gapbench/summary.json"],  # checked before the night, not after
    ):
        code = main([*argv, *bad])
        err = capsys.readouterr().err
        lines = [ln for ln in err.splitlines() if ln.strip()]
        assert code == 2 and len(lines) == 1, err
        assert bad[0] in lines[0]
    # And as the scheduler runs it: a separate process, nothing written.
    done = subprocess.run(
        [sys.executable, "-m", "harness.cli", *argv, "--bogus"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
    )
    lines = [ln for ln in done.stderr.splitlines() if ln.strip()]
    assert done.returncode == 2 and len(lines) == 1 and "--bogus" in lines[0], done.stderr
    assert "Traceback" not in done.stderr
    assert not any(tmp_path.iterdir())  # nothing ran, nothing written


def test_json_with_night_keeps_one_summary_per_night(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """`--json .../nightly-{night}.json` (as the schedules use it) writes one file per night,
    also on a night that could not start (the scheduler reads why)."""
    import json

    from harness.cli import main

    monkeypatch.setenv("GAPBENCH_RESULTS_DIR", str(tmp_path / "results"))
    monkeypatch.setenv("GAPBENCH_CACHE_DIR", str(tmp_path / "cache"))
    sweep = tmp_path / "s.yaml"
    sweep.write_text("name: dated\nmodels: [no-such-model]\nsuites: [ladder_standard]\n")
    template = str(tmp_path / "summaries" / "nightly-{night}.json")
    for night in ("2026-01-01", "2026-01-02"):
        code = main(["nightly", str(sweep), "--night", night, "--json", template, "--no-report"])
        assert code == 2, capsys.readouterr().err
    written = sorted(p.name for p in (tmp_path / "summaries").iterdir())
    assert written == ["nightly-2026-01-01.json", "nightly-2026-01-02.json"]
    summary = json.loads((tmp_path / "summaries" / written[1]).read_text())
    assert summary["night"] == "2026-01-02" and summary["outcome"] == "error"
