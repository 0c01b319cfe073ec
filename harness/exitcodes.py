"""Exit codes a scheduler can act on, declared once (docs: README, docs/nightly.md).

0 and the codes below are the whole contract; `gapbench --help` lists them.
"""

from __future__ import annotations

OK = 0  # everything asked for ran and completed (nightly: ran clean)
FAILURE = 1  # an anticipated failure stopped the command (engine failed as a whole, ...)
USAGE = 2  # bad input: config, registry, CLI arguments, corrupt files; nothing was changed
OFFLINE = 3  # an online-only feature was asked for without network access
PARTIAL = 4  # a run ended partial or failed, or above the sweep's error-rate threshold
DRIFT = 5  # nightly: a canary moved beyond its history or the API's snapshot name changed
NOTHING_NEW = 6  # nightly: the plan was empty; nothing ran (not a failure)
LOCKED = 7  # another gapbench process holds this results folder and sweep
INTERRUPTED = 130  # Ctrl-C / SIGTERM: finished samples are stored; rerun to resume
