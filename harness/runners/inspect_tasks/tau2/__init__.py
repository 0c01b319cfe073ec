"""tau2-bench (airline, retail, telecom) through inspect_evals, with tau2-bench's own rules for
turn taking, ending a conversation and the reward (see task.py, loop.py, reward.py)."""

from harness.runners.inspect_tasks.tau2.task import (
    DOMAINS,
    Tau2Domain,
    airline_task,
    expected_actions,
    retail_task,
    sample_id,
    tau2_dataset,
    tau2_task,
    telecom_task,
)

__all__ = [
    "DOMAINS",
    "Tau2Domain",
    "airline_task",
    "expected_actions",
    "retail_task",
    "sample_id",
    "tau2_dataset",
    "tau2_task",
    "telecom_task",
]
