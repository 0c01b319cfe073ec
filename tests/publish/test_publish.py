"""gapbench publish: a folder and a git branch give a site that opens in headless Chromium
with no broken links; the HF dataset path fails offline in one line and never writes the
token anywhere."""

from __future__ import annotations

import os
import socket
import subprocess
import time
from pathlib import Path

import pandas as pd
import pytest

from harness import api
from harness.errors import OfflineError, UserError
from harness.publish import hf as hf_publish
from harness.publish.git import redact
from harness.publish.site import MARKER
from tests.publish.site_check import CHROMIUM, crawl_in_chromium, static_links

REPO = Path(__file__).resolve().parents[2]
needs_chromium = pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed")


def gapbench(
    *args: str, cwd: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> tuple[int, str, str]:
    """gapbench's CLI in this process: (exit code, stdout, stderr)."""
    from harness.cli import main

    monkeypatch.chdir(cwd)
    capsys.readouterr()
    code = main(list(args))
    out = capsys.readouterr()
    return code, out.out, out.err


def git(*args: str, cwd: Path | None = None) -> str:
    done = subprocess.run(["git", *args], capture_output=True, text=True, cwd=cwd, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def assert_site_works(site: Path, tmp_path: Path) -> None:
    checked, broken = static_links(site)
    assert checked > 10 and not broken, broken
    crawl = crawl_in_chromium(site, tmp_path / "chrome-profile")
    assert crawl.title.startswith("gapbench")
    assert crawl.sheets >= 1  # the stylesheet applied
    assert crawl.pages > 3  # index plus model and suite pages, reached by following links
    assert not crawl.broken, crawl.broken
    assert crawl.images and all(w > 0 and h > 0 for _, w, h in crawl.images), crawl.images


@pytest.mark.slow
@needs_chromium
def test_publish_to_a_folder_gives_a_working_site(
    report: Path, workspace: api.Workspace, tmp_path: Path
) -> None:
    dest = tmp_path / "www" / "gapbench"
    result = api.publish("pub", ws=workspace, to=dest)
    assert result.kind == "dir" and Path(result.where) == dest
    assert (dest / "index.html").is_file() and (dest / MARKER).is_file()
    assert (dest / ".nojekyll").is_file()
    assert_site_works(dest, tmp_path)
    # Publishing again replaces the folder whole (a stale page does not survive).
    (dest / "stale.html").write_text("old")
    api.publish(report, ws=workspace, to=dest)
    assert not (dest / "stale.html").exists()


def test_publish_to_a_folder_refuses_one_it_did_not_make(
    report: Path, workspace: api.Workspace, tmp_path: Path
) -> None:
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "thesis.tex").write_text("precious")
    with pytest.raises(UserError, match="not published by gapbench"):
        api.publish("pub", ws=workspace, to=mine)
    assert (mine / "thesis.tex").read_text() == "precious"
    with pytest.raises(UserError, match=r"no index\.html"):
        api.publish("no-such-report", ws=workspace, to=tmp_path / "x")


@pytest.mark.slow
@needs_chromium
def test_publish_to_a_git_branch_of_a_bare_repository(
    report: Path,
    workspace: api.Workspace,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    bare = tmp_path / "pages.git"
    git("init", "--bare", "--quiet", str(bare))
    code, out, err = gapbench(
        "publish",
        str(report),
        "--git-branch",
        "gh-pages",
        "--git-remote",
        str(bare),
        cwd=tmp_path,
        monkeypatch=monkeypatch,
        capsys=capsys,
    )
    assert code == 0, err
    first = git("--git-dir", str(bare), "rev-parse", "refs/heads/gh-pages")
    assert first[:12] in out

    # The same site again: no new commit. A changed site: one commit on top (fast-forward).
    api.publish(report, ws=workspace, git_branch="gh-pages", git_remote=str(bare))
    assert git("--git-dir", str(bare), "rev-parse", "refs/heads/gh-pages") == first
    (report / "data" / "extra.csv").write_text("a,b\n1,2\n")
    api.publish(report, ws=workspace, git_branch="gh-pages", git_remote=str(bare))
    log = git("--git-dir", str(bare), "log", "--format=%H", "gh-pages").splitlines()
    assert len(log) == 2 and log[1] == first

    checkout = tmp_path / "checkout"
    git("clone", "--quiet", "--branch", "gh-pages", str(bare), str(checkout))
    assert (checkout / "data" / "extra.csv").is_file()
    assert_site_works(checkout, tmp_path)


def test_publish_onto_a_local_branch_leaves_the_working_tree_alone(
    report: Path, workspace: api.Workspace, tmp_path: Path
) -> None:
    repo = tmp_path / "repo"
    git("init", "--quiet", "-b", "main", str(repo))
    (repo / "notes.txt").write_text("work in progress\n")
    git("add", "notes.txt", cwd=repo)
    git("-c", "user.name=t", "-c", "user.email=t@t", "commit", "--quiet", "-m", "wip", cwd=repo)
    (repo / "notes.txt").write_text("uncommitted change\n")
    status_before = git("status", "--porcelain", cwd=repo)

    result = api.publish(report, ws=workspace, git_branch="gh-pages", cwd=repo)

    assert git("rev-parse", "gh-pages", cwd=repo) == result.version
    files = git("ls-tree", "-r", "--name-only", "gh-pages", cwd=repo).splitlines()
    assert "index.html" in files and ".nojekyll" in files and "notes.txt" not in files
    assert git("status", "--porcelain", cwd=repo) == status_before
    assert git("rev-parse", "--abbrev-ref", "HEAD", cwd=repo) == "main"
    assert (repo / "notes.txt").read_text() == "uncommitted change\n"


def test_git_publish_failures_are_one_line(
    report: Path,
    workspace: api.Workspace,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(UserError, match="not a valid branch name"):
        api.publish(report, ws=workspace, git_branch="bad..name", git_remote=str(tmp_path))
    with pytest.raises(UserError, match="not inside a git repository"):
        api.publish(report, ws=workspace, git_branch="gh-pages", cwd=tmp_path)
    # An unreachable remote: offline, one line, the token in the URL never shown.
    code, out, err = gapbench(
        "publish",
        str(report),
        "--git-branch",
        "gh-pages",
        "--git-remote",
        "https://user:s3cr3t-token@127.0.0.1:9/none.git",
        cwd=tmp_path,
        monkeypatch=monkeypatch,
        capsys=capsys,
    )
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert code == 3 and len(lines) == 1, err  # OFFLINE: the host did not answer
    assert "s3cr3t" not in err + out and "***@127.0.0.1" in lines[0]
    assert redact("push to https://u:tok@example.org/x.git failed") == (
        "push to https://***@example.org/x.git failed"
    )


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.parametrize(
    "env",
    [
        {"HF_HUB_OFFLINE": "1"},
        {"HF_ENDPOINT": "http://127.0.0.1:{port}"},  # nothing listens there: offline
    ],
    ids=["HF_HUB_OFFLINE", "unreachable"],
)
def test_hf_dataset_offline_is_one_line_exit_3_fast(
    tmp_path: Path,
    env: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    for key, value in env.items():
        monkeypatch.setenv(key, value.format(port=_closed_port()))
    monkeypatch.setenv("HF_TOKEN", "hf_SECRETTOKEN123456")
    monkeypatch.setenv("GAPBENCH_RESULTS_DIR", str(tmp_path / "results"))
    started = time.monotonic()
    code, out, err = gapbench(
        "publish",
        "--hf-dataset",
        "someone/gapbench-results",
        cwd=tmp_path,
        monkeypatch=monkeypatch,
        capsys=capsys,
    )
    assert time.monotonic() - started < 20  # a short connect timeout, never a hang
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert code == 3 and len(lines) == 1, err
    assert "offline" in lines[0].lower()
    assert "SECRETTOKEN" not in err + out


def test_hf_dataset_upload_sends_the_results_and_keeps_the_token_in_memory(
    workspace: api.Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Unit test (the Hub is not reachable here): huggingface_hub is replaced by a recorder."""
    token = "hf_TESTTOKEN0123456789"
    monkeypatch.setenv("HF_TOKEN", token)
    monkeypatch.setattr(hf_publish, "check_online", lambda endpoint: None)
    seen: dict[str, object] = {}

    class FakeApi:
        def __init__(self, endpoint: str, token: str) -> None:
            seen["token"] = token

        def create_repo(self, repo_id: str, **kw: object) -> None:
            seen["create"] = (repo_id, kw)

        def upload_folder(self, **kw: object) -> object:
            folder = Path(str(kw["folder_path"]))
            seen["upload"] = kw
            seen["files"] = sorted(
                str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file()
            )
            seen["samples"] = pd.read_parquet(folder / "data" / "samples.parquet")
            blob = b"".join(p.read_bytes() for p in folder.rglob("*") if p.is_file())
            seen["token_in_files"] = token.encode() in blob
            return type("Info", (), {"oid": "abc123def456"})()

    import huggingface_hub

    monkeypatch.setattr(huggingface_hub, "HfApi", FakeApi)
    result = api.publish(ws=workspace, hf_dataset="someone/gapbench-results")

    assert seen["token"] == token and seen["token_in_files"] is False
    assert seen["create"] == (
        "someone/gapbench-results",
        {"repo_type": "dataset", "exist_ok": True, "private": False},
    )
    assert seen["files"] == ["README.md", "data/runs.parquet", "data/samples.parquet"]
    samples = seen["samples"]
    assert isinstance(samples, pd.DataFrame)
    assert len(samples) == len(workspace.store.samples()) and samples["canary"].any()
    assert result.kind == "hf" and result.version == "abc123def456"
    home = Path(os.environ.get("HF_HOME", Path.home() / ".cache" / "huggingface"))
    token_file = home / "token"
    assert not token_file.exists() or token not in token_file.read_text()


def test_hf_needs_a_token_a_valid_repo_id_and_honours_offline(
    workspace: api.Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_check = hf_publish.check_online
    monkeypatch.setattr(hf_publish, "check_online", lambda endpoint: None)
    for name in hf_publish.TOKEN_ENV:
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(UserError, match="HF_TOKEN"):
        api.publish(ws=workspace, hf_dataset="someone/results")
    with pytest.raises(UserError, match="not a dataset id"):
        api.publish(ws=workspace, hf_dataset="../etc")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    started = time.monotonic()
    with pytest.raises(OfflineError, match="HF_HUB_OFFLINE"):
        real_check("https://huggingface.co")
    assert time.monotonic() - started < 1  # decided before any connection is tried


@pytest.mark.slow
@needs_chromium
def test_the_site_check_finds_broken_links(report: Path, tmp_path: Path) -> None:
    """The checks above can fail: a page linking a missing file is caught by both."""
    index = report / "index.html"
    html = index.read_text(encoding="utf-8")
    index.write_text(
        html.replace("</body>", '<a href="models/missing-model.html">gone</a></body>'),
        encoding="utf-8",
    )
    _, broken = static_links(report)
    assert broken == ["index.html -> models/missing-model.html"]
    crawl = crawl_in_chromium(report, tmp_path / "chrome-profile")
    assert crawl.broken == {"/models/missing-model.html": 404}


def test_publish_to_a_remote_named_in_the_local_repository(
    report: Path, workspace: api.Workspace, tmp_path: Path
) -> None:
    """As the shipped GitHub Actions workflow does: `--git-remote origin` from a checkout."""
    bare = tmp_path / "origin.git"
    git("init", "--bare", "--quiet", str(bare))
    repo = tmp_path / "checkout"
    git("clone", "--quiet", str(bare), str(repo))
    first = api.publish(report, ws=workspace, git_branch="gh-pages", git_remote="origin", cwd=repo)
    (report / "data" / "extra.csv").write_text("a\n1\n")
    second = api.publish(report, ws=workspace, git_branch="gh-pages", git_remote="origin", cwd=repo)
    log = git("--git-dir", str(bare), "log", "--format=%H", "gh-pages").splitlines()
    assert log == [second.version, first.version]  # one commit on top: a fast-forward
    assert git("status", "--porcelain", cwd=repo) == ""  # the checkout is untouched
    with pytest.raises(UserError, match="neither a remote"):
        api.publish(report, ws=workspace, git_branch="gh-pages", git_remote="upstream", cwd=repo)
