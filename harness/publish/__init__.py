"""Publishing: the report as a static site (a folder or a git branch) and the results as a
Hugging Face dataset. Sits below nightly and above the report layer; see docs/nightly.md."""

from harness.publish.git import publish_git
from harness.publish.hf import publish_hf
from harness.publish.site import PublishResult, find_report, publish_dir

__all__ = ["PublishResult", "find_report", "publish_dir", "publish_git", "publish_hf"]
