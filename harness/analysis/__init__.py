"""Pure pandas/numpy/scipy analysis over store tables. Reads only through harness.store."""
