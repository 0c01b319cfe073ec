"""Nothing secret leaves through `publish`: the store and the site are scanned first.

Secrets are masked where bytes enter the store or a log (harness/secrets.py), so a clean
store is the normal case; this is the check that it held. Before anything is copied, committed
or uploaded, `publish` scans
- the store it publishes from (harness.store.secret_scan.scan_store: every table's text and
  every raw file), and
- the site itself, every file of it: text files as they are, zip files (inspect's .eval logs)
  member by member, decompressed,
for the values of the key variables named by the registry's deployments (and any *_API_KEY,
*_TOKEN, *_SECRET set now) and for key shapes (harness.secrets.find_secrets). One finding
refuses the publish with one line (UserError, exit 2) that names the file and the kind of
secret, never the value, and says how to clean it (`gapbench results --scrub`, then render the
report again).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from harness.errors import UserError
from harness.secrets import find_in_file, find_secrets, secret_values


@dataclass(frozen=True)
class Finding:
    where: str  # a file of the site (with the member of a zip in it), or a store finding
    kinds: tuple[str, ...]

    def line(self) -> str:
        return f"{self.where} ({', '.join(self.kinds)})" if self.kinds else self.where


def scan_site(site: Path, values: tuple[str, ...] | None = None) -> list[Finding]:
    """Every file below `site` that holds a secret (regular files only; links not followed;
    .eval zips member by member: harness.secrets.find_in_file)."""
    values = secret_values() if values is None else values
    found: dict[str, list[str]] = {}
    for path in sorted(p for p in Path(site).rglob("*") if p.is_file() and not p.is_symlink()):
        rel = path.relative_to(site).as_posix()
        try:
            hits = find_in_file(path, values)
        except Exception:  # an archive that cannot be read: its bytes as they are
            text = path.read_bytes().decode("utf-8", "replace")
            hits = [("", kind) for kind in find_secrets(text, values)]
        for member, kind in hits:
            kinds = found.setdefault(f"{rel}:{member}" if member else rel, [])
            if kind not in kinds:
                kinds.append(kind)
    return [Finding(where, tuple(kinds)) for where, kinds in found.items()]


def refuse_secrets(
    *,
    site: Path | None = None,
    results_dir: Path | None = None,
    key_env_names: Iterable[str] = (),
) -> None:
    """UserError (one line, exit 2) when the store or the site holds a secret; else nothing."""
    values = secret_values(key_env_names)
    if results_dir is not None and Path(results_dir).is_dir():
        from harness.store.secret_scan import scan_store

        found = [Finding(str(f), ()) for f in scan_store(Path(results_dir), values)]
        if found:
            raise UserError(
                f"publish: refused: the store {results_dir} holds {_count(found)}: "
                f"{found[0].where}{_more(found)}; `gapbench results --scrub` masks them"
            )
    if site is not None:
        found = scan_site(site, values)
        if found:
            raise UserError(
                f"publish: refused: the report {site} holds {_count(found)}: "
                f"{found[0].line()}{_more(found)}; clean the store (`gapbench results "
                "--scrub`) and render the report again"
            )


def _count(found: list[Finding]) -> str:
    return "a secret" if len(found) == 1 else f"secrets in {len(found)} places"


def _more(found: list[Finding]) -> str:
    return f" and {len(found) - 1} more" if len(found) > 1 else ""
