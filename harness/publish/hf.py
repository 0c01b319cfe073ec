"""Publish the results as a Hugging Face dataset (huggingface_hub), when online.

The dataset holds the store's tables as single Parquet files (data/samples.parquet,
data/runs.parquet: one current row per sample key and per run, canary rows included and
marked) and a dataset card generated from the declared schema. Transcripts (model-written
text) stay out.

Offline it fails fast with one line (OfflineError, exit 3): HF_HUB_OFFLINE / GAPBENCH_OFFLINE
are honoured before anything is tried, and the Hub's host is probed with a short connect
timeout before any upload, so nothing hangs. The token comes from the environment (HF_TOKEN,
or HUGGING_FACE_HUB_TOKEN) and is handed to huggingface_hub in memory only: never written,
never printed.
"""

from __future__ import annotations

import os
import re
import socket
import tempfile
from pathlib import Path
from urllib.parse import urlparse

import pandas as pd

from harness.errors import GapbenchError, OfflineError, UserError
from harness.offline import is_offline
from harness.publish.site import PublishResult
from harness.store import Store
from harness.store.schema import SAMPLE_COLUMNS

TOKEN_ENV = ("HF_TOKEN", "HUGGING_FACE_HUB_TOKEN")
CONNECT_TIMEOUT_S = 5.0
_REPO = re.compile(r"^[A-Za-z0-9][\w.-]*/[\w.-]+$")


def hub_endpoint() -> str:
    return os.environ.get("HF_ENDPOINT", "https://huggingface.co").rstrip("/")


def check_repo_id(repo_id: str) -> str:
    if not _REPO.match(repo_id) or ".." in repo_id:
        raise UserError(f"--hf-dataset: '{repo_id}' is not a dataset id (owner/name)")
    return repo_id


def token_from_env() -> str:
    for name in TOKEN_ENV:
        value = os.environ.get(name, "").strip()
        if value:
            return value
    raise UserError(f"--hf-dataset: no token: set {' or '.join(TOKEN_ENV)} in the environment")


def check_online(endpoint: str, timeout_s: float = CONNECT_TIMEOUT_S) -> None:
    """OfflineError (one line) unless the Hub's host accepts a connection within timeout_s."""
    if is_offline():
        raise OfflineError(
            "--hf-dataset needs the network, and HF_HUB_OFFLINE or GAPBENCH_OFFLINE is set"
        )
    url = urlparse(endpoint)
    host = url.hostname or ""
    port = url.port or (443 if url.scheme == "https" else 80)
    try:
        with socket.create_connection((host, port), timeout=timeout_s):
            pass
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise OfflineError(
            f"--hf-dataset: cannot reach {host}:{port} ({reason}); offline?"
        ) from None


def export_dataset(store: Store, out: Path, *, sweep: str | None = None, title: str) -> int:
    """Write the dataset folder (Parquet tables and a README card); return its file count."""
    data = out / "data"
    data.mkdir(parents=True, exist_ok=True)
    samples = store.samples(sweep_id=sweep)
    runs = store.runs()
    if sweep is not None and not runs.empty:
        runs = runs[runs["sweep_id"] == sweep]
    samples.to_parquet(data / "samples.parquet", index=False)
    runs.to_parquet(data / "runs.parquet", index=False)
    (out / "README.md").write_text(dataset_card(title, samples), encoding="utf-8")
    return 3


def dataset_card(title: str, samples: pd.DataFrame) -> str:
    models = sorted(set(samples["model_id"])) if not samples.empty else []
    suites = sorted(set(samples["suite"])) if not samples.empty else []
    lines = [
        "---",
        "configs:",
        "- config_name: samples",
        "  data_files: data/samples.parquet",
        "  default: true",
        "- config_name: runs",
        "  data_files: data/runs.parquet",
        "tags: [gapbench, evaluation, llm]",
        "---",
        f"# {title}",
        "",
        "Per-sample evaluation results written by gapbench: one row per (run, sample, epoch).",
        "Rows with `canary = true` are nightly drift checks; leave them out of score figures.",
        "Errored samples have `status = error` and no score (never counted as wrong).",
        "",
        f"{len(samples)} rows, {len(models)} models, {len(suites)} suites.",
        "",
        "| column | type | meaning |",
        "|---|---|---|",
    ]
    for col in SAMPLE_COLUMNS:
        meaning = col.meaning.replace("|", "/")
        lines.append(f"| `{col.name}` | {col.type} | {meaning} |")
    return "\n".join(lines) + "\n"


def publish_hf(
    store: Store, repo_id: str, *, sweep: str | None = None, private: bool = False
) -> PublishResult:
    check_repo_id(repo_id)
    endpoint = hub_endpoint()
    check_online(endpoint)
    token = token_from_env()
    from huggingface_hub import HfApi

    title = f"gapbench results{f': {sweep}' if sweep else ''}"
    with tempfile.TemporaryDirectory(prefix="gapbench-hf-") as tmp:
        n = export_dataset(store, Path(tmp), sweep=sweep, title=title)
        api = HfApi(endpoint=endpoint, token=token)
        try:
            api.create_repo(repo_id, repo_type="dataset", exist_ok=True, private=private)
            info = api.upload_folder(
                repo_id=repo_id,
                repo_type="dataset",
                folder_path=tmp,
                commit_message=title,
            )
        except Exception as exc:  # the Hub's errors are many; each ends as one line
            message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            raise GapbenchError(
                f"--hf-dataset {repo_id}: upload failed: {message.replace(token, '***')}"
            ) from None
    commit = str(getattr(info, "oid", "") or "")
    return PublishResult("hf", f"{endpoint}/datasets/{repo_id}", commit, n)
