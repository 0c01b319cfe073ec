"""`python -m tests.sweep.run_in_process SWEEP WAIT_S`: plan, then execute a sweep in this
process with the workspace the environment names (GAPBENCH_*); exit with its exit code.

The plan is made BEFORE the lock is waited for, as a scheduler's second job would do."""

from __future__ import annotations

import sys


def main() -> None:
    from harness import api
    from harness.errors import GapbenchError
    from harness.sweep.execute import execute

    ws = api.workspace()
    try:
        plan = api.plan(sys.argv[1], ws=ws)
        out = execute(plan, ws.settings, lock_wait_s=float(sys.argv[2]))
    except GapbenchError as exc:
        print(f"gapbench: {exc}", file=sys.stderr)
        sys.exit(exc.exit_code)
    print(out.money_line())
    sys.exit(out.exit_code)


if __name__ == "__main__":
    main()
