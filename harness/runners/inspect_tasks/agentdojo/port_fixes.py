"""Where inspect_evals' copy of AgentDojo's environments differs from AgentDojo's, put back.

- A cloud-drive file's size: AgentDojo stores it as a field (set to len(content) when the file
  is made and when content is appended), so DeepDiff of two environments reports
  `root.cloud_drive.files['<id>'].size` among the values changed whenever a file grew.
  inspect_evals makes it a computed property, which DeepDiff does not see, so every utility
  check that expects the size among the changes (check_added_to_file: workspace user tasks 13,
  19, 29, 34, ...) fails, even on the reference solution. The workspace DeepDiff is wrapped to
  report the size change as AgentDojo's does (sizes are len(content) on both sides).

Applied once, when the suite's task is built (never at import of the package: listing suites
must not import inspect_evals).
"""

from __future__ import annotations

from typing import Any

_applied = False


def _with_size_changes(diff: Any, pre: Any, post: Any) -> Any:
    try:
        before = pre.cloud_drive.files
        after = post.cloud_drive.files
    except AttributeError:
        return diff
    for file_id in sorted(set(before) & set(after)):
        old, new = before[file_id].size, after[file_id].size
        if old != new:
            changed = diff.setdefault("values_changed", {})
            changed[f"root.cloud_drive.files['{file_id}'].size"] = {
                "new_value": new,
                "old_value": old,
            }
    return diff


def apply() -> None:
    global _applied
    if _applied:
        return
    from inspect_evals.agentdojo.task_suites.workspace.environment import _WorkspaceDeepDiff

    original = _WorkspaceDeepDiff.__call__

    def call(self: Any, *args: Any, **kwargs: Any) -> Any:
        diff = original(self, *args, **kwargs)
        return _with_size_changes(diff, args[0], args[1]) if len(args) >= 2 else diff

    _WorkspaceDeepDiff.__call__ = call  # type: ignore[method-assign]
    _applied = True
