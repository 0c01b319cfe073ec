"""Publish a site as a commit on a git branch (GitHub Pages, GitLab Pages, any static host).

Uses git itself (subprocess), through plumbing only: the site's files are added with a
temporary index and the site folder as work tree, so no checkout, working tree or index of
any repository is touched. The commit's parent is the branch's current tip, so the branch
keeps its history and a push is a fast-forward.

Where the commit goes:
- no remote: onto the branch of the repository in the current directory (nothing pushed);
- a remote name of that repository (e.g. origin): committed there, then pushed to it, with
  whatever credentials git is configured with for it (CI checkouts set them);
- a path or URL: built in a temporary bare repository, fetched from and pushed to that
  remote; nothing is written into any local repository.
Credentials are git's business (credential helpers, SSH agent, CI checkout); gapbench reads
none and writes none, and redacts any user:password@ from URLs in what it prints. Every git
call has a time limit and never prompts (GIT_TERMINAL_PROMPT=0, ssh BatchMode); a URL remote
whose host does not accept a connection within 5 s is "offline" (one line, exit 3).
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path
from urllib.parse import urlparse

from harness.errors import GapbenchError, OfflineError, UserError
from harness.offline import is_offline
from harness.publish.site import MARKER, PublishResult, site_files

GIT_TIMEOUT_S = 120.0  # per git call; a push of a report is seconds
CONNECT_TIMEOUT_S = 5.0  # a URL remote's host must accept a connection this fast
_BRANCH = re.compile(r"^(?!-)(?!.*\.\.)(?!.*//)[A-Za-z0-9._/-]+(?<![./])$")
_USERINFO = re.compile(r"(?<=://)[^/@\s]+@")


def redact(text: str) -> str:
    """Drop user:password@ from URLs (a token in a remote URL must never be printed)."""
    return _USERINFO.sub("***@", text)


def _is_url(remote: str) -> bool:
    return "://" in remote or re.match(r"^[\w.-]+@[\w.-]+:", remote) is not None


def _host_port(remote: str) -> tuple[str, int] | None:
    """Where a URL remote lives (None for file:// and paths)."""
    scp = re.match(r"^(?:[\w.-]+@)?([\w.-]+):(?!//)", remote)
    if "://" not in remote and scp:
        return scp.group(1), 22
    url = urlparse(remote)
    ports = {"https": 443, "http": 80, "ssh": 22, "git": 9418}
    if url.scheme not in ports or not url.hostname:
        return None
    return url.hostname, url.port or ports[url.scheme]


def check_reachable(remote: str, timeout_s: float = CONNECT_TIMEOUT_S) -> None:
    """OfflineError (one line, exit 3) when a URL remote's host does not answer in time."""
    if is_offline():
        raise OfflineError(
            f"--git-remote {redact(remote)}: offline (GAPBENCH_OFFLINE or HF_HUB_OFFLINE is set)"
        )
    where = _host_port(remote)
    if where is None:
        return
    try:
        with socket.create_connection(where, timeout=timeout_s):
            pass
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise OfflineError(
            f"--git-remote {redact(remote)}: cannot reach {where[0]}:{where[1]} ({reason}); offline?"
        ) from None


def _env(extra: dict[str, str] | None = None) -> dict[str, str]:
    env = dict(os.environ)
    env["GIT_TERMINAL_PROMPT"] = "0"  # never wait for a password on a terminal
    env.setdefault("GIT_SSH_COMMAND", "ssh -o BatchMode=yes -o ConnectTimeout=15")
    env.setdefault("GIT_HTTP_LOW_SPEED_LIMIT", "1000")  # bytes/s ...
    env.setdefault("GIT_HTTP_LOW_SPEED_TIME", "30")  # ... for this long: give up
    for role in ("AUTHOR", "COMMITTER"):
        env.setdefault(f"GIT_{role}_NAME", "gapbench")
        env.setdefault(f"GIT_{role}_EMAIL", "gapbench@localhost")
    env.update(extra or {})
    return env


def _git(
    *args: str,
    git_dir: Path | None = None,
    env: dict[str, str] | None = None,
    check: bool = True,
    cwd: Path | None = None,
) -> subprocess.CompletedProcess[str]:
    cmd = ["git", *(["--git-dir", str(git_dir)] if git_dir else []), *args]
    try:
        done = subprocess.run(
            cmd,
            capture_output=True,
            text=True,
            env=env or _env(),
            timeout=GIT_TIMEOUT_S,
            stdin=subprocess.DEVNULL,
            cwd=cwd,
        )
    except FileNotFoundError:
        raise GapbenchError("publish: git is not installed") from None
    except subprocess.TimeoutExpired:
        raise GapbenchError(
            redact(f"publish: git {args[0]} took longer than {GIT_TIMEOUT_S:.0f} s; gave up")
        ) from None
    if check and done.returncode != 0:
        lines = [ln for ln in done.stderr.splitlines() if ln.strip()]
        last = lines[-1] if lines else f"exit {done.returncode}"
        raise GapbenchError(redact(f"publish: git {args[0]} failed: {last.strip()}"))
    return done


def check_branch(branch: str) -> str:
    if not _BRANCH.match(branch) or branch.endswith(".lock"):
        raise UserError(f"--git-branch: '{branch}' is not a valid branch name")
    return branch


def _tip(git_dir: Path, branch: str) -> str | None:
    ref = f"refs/heads/{branch}^{{commit}}"
    done = _git("rev-parse", "--verify", "-q", ref, git_dir=git_dir, check=False)
    return done.stdout.strip() or None


def _commit_site(git_dir: Path, site: Path, parent: str | None, message: str) -> tuple[str, bool]:
    """A commit of the site's files on top of `parent`; (commit, whether it differs)."""
    with tempfile.TemporaryDirectory(prefix="gapbench-publish-") as tmp:
        staged = Path(tmp) / "site"
        shutil.copytree(site, staged)
        (staged / ".nojekyll").write_text("")
        (staged / MARKER).write_text("Published by `gapbench publish`.\n")
        env = _env({"GIT_INDEX_FILE": str(Path(tmp) / "index"), "GIT_WORK_TREE": str(staged)})
        _git("add", "--all", "--force", ".", git_dir=git_dir, env=env, cwd=staged)
        tree = _git("write-tree", git_dir=git_dir, env=env).stdout.strip()
    if parent is not None:
        parent_tree = _git("rev-parse", f"{parent}^{{tree}}", git_dir=git_dir).stdout.strip()
        if parent_tree == tree:
            return parent, False  # the same site: no empty commit
    args = ["commit-tree", tree, "-m", message, *(["-p", parent] if parent else [])]
    return _git(*args, git_dir=git_dir).stdout.strip(), True


def _fetch_tip(git_dir: Path, remote: str, branch: str, *, shallow: bool) -> str | None:
    """The remote branch's tip, fetched into git_dir (None when the branch is new).

    shallow: fetch the tip alone (a temporary repository: months of nightly reports on the
    branch need not be downloaded to add one commit); never for the user's own repository.
    """
    done = _git("ls-remote", "--heads", remote, f"refs/heads/{branch}", git_dir=git_dir)
    if not done.stdout.strip():
        return None
    private = "refs/gapbench/publish-tip"
    depth = ["--depth=1"] if shallow else []
    refspec = f"+refs/heads/{branch}:{private}"
    _git("fetch", "--quiet", "--no-tags", *depth, remote, refspec, git_dir=git_dir)
    tip = _git("rev-parse", private, git_dir=git_dir).stdout.strip()
    _git("update-ref", "-d", private, git_dir=git_dir)
    return tip


def _local_git_dir(cwd: Path) -> Path:
    done = _git("-C", str(cwd), "rev-parse", "--absolute-git-dir", check=False)
    if done.returncode != 0:
        raise UserError(
            f"--git-branch: {cwd} is not inside a git repository "
            "(give --git-remote PATH_OR_URL to publish elsewhere)"
        )
    return Path(done.stdout.strip())


def _remote_names(git_dir: Path) -> set[str]:
    return set(_git("remote", git_dir=git_dir, check=False).stdout.split())


def publish_git(
    site: Path,
    branch: str,
    *,
    remote: str | None = None,
    cwd: Path | None = None,
    message: str = "gapbench report",
) -> PublishResult:
    """Commit the site onto `branch` (see the module docstring for where); push to `remote`."""
    check_branch(branch)
    n_files = len(site_files(site)) + 2  # + .nojekyll and the marker
    cwd = Path(cwd or Path.cwd())
    is_path = remote is not None and not _is_url(remote) and Path(remote).exists()
    if remote is not None and _is_url(remote):
        check_reachable(remote)
    if remote is None:  # onto the local repository's branch, nothing pushed
        git_dir = _local_git_dir(cwd)
        parent = _tip(git_dir, branch)
        commit, changed = _commit_site(git_dir, site, parent, message)
        if changed:
            args = ["update-ref", f"refs/heads/{branch}", commit, *([parent] if parent else [])]
            _git(*args, git_dir=git_dir)
        return PublishResult("git", f"{git_dir.parent} {branch}", commit, n_files)
    if not _is_url(remote) and not is_path:  # a remote of the local repository, by name
        git_dir = _local_git_dir(cwd)
        if remote not in _remote_names(git_dir):
            raise UserError(
                f"--git-remote: '{remote}' is neither a remote of the repository in {cwd}, "
                "a path, nor a URL"
            )
        commit, changed = _commit_site(
            git_dir, site, _fetch_tip(git_dir, remote, branch, shallow=False), message
        )
        if changed:
            _push(git_dir, remote, commit, branch)
        return PublishResult("git", f"{remote} {branch}", commit, n_files)
    target = str(Path(remote).absolute()) if is_path else remote
    with tempfile.TemporaryDirectory(prefix="gapbench-publish-git-") as tmp:
        git_dir = Path(tmp) / "repo.git"
        _git("init", "--bare", "--quiet", str(git_dir))
        commit, changed = _commit_site(
            git_dir, site, _fetch_tip(git_dir, target, branch, shallow=True), message
        )
        if changed:
            _push(git_dir, target, commit, branch)
    return PublishResult("git", f"{redact(remote)} {branch}", commit, n_files)


def _push(git_dir: Path, remote: str, commit: str, branch: str) -> None:
    _git("push", "--quiet", remote, f"{commit}:refs/heads/{branch}", git_dir=git_dir)
