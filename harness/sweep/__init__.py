"""Sweeps: models x suites x epochs. Load the file, plan run keys, execute, resume."""
