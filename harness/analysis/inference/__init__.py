"""The inference layer of analysis: estimates and their uncertainty over many benchmarks (the
censored fit, D and its bootstrap, task resampling, the specification curve, cross-checks,
power and what data would settle the answer). Imports measures and the base modules; never
assembly (tests/test_layers.py)."""
