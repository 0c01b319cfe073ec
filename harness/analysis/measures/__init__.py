"""The measures layer of analysis: numbers computed from the samples, one model, benchmark or
model pair at a time (scores, frontiers, lags, catch-up, coverage, trends, pass^k, drift,
substitutes, each benchmark's evidence for D). Imports only the base modules of
harness/analysis (`_common`, `spec`, `columns`, `wording`, `intervals`, `mapping`, ...) and
other measures; never inference or assembly (tests/test_layers.py)."""
