"""Fidelity checks: gapbench's scores against the official evaluators', and the ladder's
known-competence agents. `python -m bench.fidelity --help`; the report is docs/fidelity.md."""
